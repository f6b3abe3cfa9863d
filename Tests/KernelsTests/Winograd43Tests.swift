import Kernels
import Testing

/// Winograd F(4×4, 3×3), taken by inference forward passes (`conv2dForward(…, inference: true)`) on
/// maps of at least 64 4×4 tiles: against the definition in Double. Its rounding error grows with the
/// magnitudes summed, not with the result (which may cancel), so each output is allowed
/// `bound · Σ|x·w|` over its window. Measured worst 2.1e-6…3.2e-6 on these cases; G's 1/24 changed to
/// 1/24.01 gives 8e-5…5.5e-4.
@Suite struct Winograd43Tests {
    static let bound = 1e-5

    /// Padding 1 (rows of 19 tiles, past one 16-tile vector, partial last tiles both ways, 52 outputs:
    /// a padded 12-row strip), padding 0 and 2, two groups, several tile-row blocks (256 → 256 channels),
    /// one image (its 9 blocks of tile rows split over the workers).
    static let cases: [Conv2dGeometry] = [
        .init(batch: 2, inChannels: 48, height: 70, width: 75, outChannels: 52, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
        .init(batch: 2, inChannels: 32, height: 38, width: 37, outChannels: 36, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1),
        .init(batch: 1, inChannels: 64, height: 30, width: 29, outChannels: 64, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 2, padW: 2, dilationH: 1, dilationW: 1, groups: 2),
        .init(batch: 2, inChannels: 256, height: 34, width: 66, outChannels: 256, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1),
        .init(batch: 1, inChannels: 64, height: 70, width: 75, outChannels: 64, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    ]

    @Test("F(4×4, 3×3) inference forward equals the definition within bound · Σ|x·w|", arguments: cases.indices)
    func forward(i: Int) {
        let g = Self.cases[i]
        #expect(g.takesWinograd43, "the case must exercise F(4×4, 3×3)")
        let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 11)
        let w = pseudoRandom(g.outChannels * g.inChannels / g.groups * 9, 12)
        let b = pseudoRandom(g.outChannels, 13)
        var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outH * g.outW)
        y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: b, output: $0.baseAddress!, inference: true) }
        let worst = errorOverMagnitude(g, x, w, b, y)
        #expect(worst <= Self.bound, "largest error / Σ|x·w| = \(worst)")
    }
}

/// The largest |y − definition| / Σ|x·w| over the outputs of a stride-1, dilation-1 3×3 convolution,
/// the definition summed in Double.
func errorOverMagnitude(_ g: Conv2dGeometry, _ x: [Float], _ w: [Float], _ b: [Float]?, _ y: [Float]) -> Double {
    let cpg = g.inChannels / g.groups, opg = g.outChannels / g.groups
    var worst = 0.0
    for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<g.outH { for ox in 0..<g.outW {
        var s = Double(b?[o] ?? 0), scale = 0.0
        for c in 0..<cpg { for ky in 0..<3 { for kx in 0..<3 {
            let iy = oy - g.padH + ky, ix = ox - g.padW + kx
            if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
            let p = Double(x[((n * g.inChannels + o / opg * cpg + c) * g.height + iy) * g.width + ix])
                * Double(w[(o * cpg + c) * 9 + ky * 3 + kx])
            s += p; scale += abs(p)
        } } }
        let got = Double(y[((n * g.outChannels + o) * g.outH + oy) * g.outW + ox])
        worst = max(worst, abs(got - s) / (scale + 1e-30))
    } } } }
    return worst
}
