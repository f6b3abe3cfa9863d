import Testing
@testable import Kernels

/// 3×3 convolutions on maps smaller than the kernel's reach (ResNet's layer4 at small inputs:
/// (2, 512, 3, 3)): forward, input and weight gradients against a float64 definition.
@Suite struct SmallMapConvolutionTests {
    @Test("3×3 conv on a 3×3 map, 512 channels", arguments: [(2, 512, 3, 3), (2, 256, 5, 6), (1, 64, 2, 3)])
    func smallMap(_ shape: (Int, Int, Int, Int)) {
        let (n, c, h, w) = shape
        let o = c
        let g = Conv2dGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o, kernelH: 3, kernelW: 3,
                               strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1)
        var rng = SplitMix(seed: 7)
        let x = (0..<(n * c * h * w)).map { _ in rng.nextFloat() }
        let wt = (0..<(o * c * 9)).map { _ in rng.nextFloat() * 0.05 }
        let gy = (0..<(n * o * h * w)).map { _ in rng.nextFloat() }
        var gx = [Float](repeating: 0, count: x.count), gw = [Float](repeating: 0, count: wt.count)
        var y = [Float](repeating: 0, count: gy.count)
        x.withUnsafeBufferPointer { xp in wt.withUnsafeBufferPointer { wp in
            conv2dForward(g, input: xp.baseAddress!, weight: wp.baseAddress!, bias: nil, output: &y)
        } }
        gy.withUnsafeBufferPointer { gp in wt.withUnsafeBufferPointer { wp in
            conv2dBackwardInput(g, gradOutput: gp.baseAddress!, weight: wp.baseAddress!, gradInput: &gx)
        } }
        x.withUnsafeBufferPointer { xp in gy.withUnsafeBufferPointer { gp in
            conv2dBackwardWeight(g, input: xp.baseAddress!, gradOutput: gp.baseAddress!, gradWeight: &gw, gradBias: nil)
        } }
        var ry = [Double](repeating: 0, count: y.count), rgx = [Double](repeating: 0, count: x.count), rgw = [Double](repeating: 0, count: wt.count)
        for b in 0..<n { for oc in 0..<o { for i in 0..<h { for j in 0..<w {
            let yi = ((b * o + oc) * h + i) * w + j
            for ic in 0..<c { for ki in 0..<3 { for kj in 0..<3 {
                let ii = i + ki - 1, jj = j + kj - 1
                guard ii >= 0, ii < h, jj >= 0, jj < w else { continue }
                let xi = ((b * c + ic) * h + ii) * w + jj, wi = ((oc * c + ic) * 3 + ki) * 3 + kj
                ry[yi] += Double(x[xi]) * Double(wt[wi])
                rgx[xi] += Double(gy[yi]) * Double(wt[wi])
                rgw[wi] += Double(gy[yi]) * Double(x[xi])
            } } }
        } } } }
        func check(_ a: [Float], _ r: [Double], _ what: String) {
            let scale = r.map(Swift.abs).max() ?? 1
            let worst = zip(a, r).map { Swift.abs(Double($0) - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale * 10, "\(what) \(shape): worst error \(worst) at scale \(scale)")
        }
        check(y, ry, "forward"); check(gx, rgx, "input gradient"); check(gw, rgw, "weight gradient")
    }
}

/// A small deterministic generator for kernel tests (uniform in [−1, 1)).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextFloat() -> Float {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        z ^= z >> 31
        return Float(z >> 40) * 0x1p-24 * 2 - 1
    }
}
