import Kernels
import Testing

/// Naive direct convolution (the definition) for checking the fast paths.
func naiveConv(_ g: Conv2dGeometry, _ x: [Float], _ w: [Float], _ b: [Float]?) -> [Float] {
    let oh = g.outH, ow = g.outW, cpg = g.inChannels / g.groups, opg = g.outChannels / g.groups
    var y = [Float](repeating: 0, count: g.batch * g.outChannels * oh * ow)
    for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<oh { for ox in 0..<ow {
        var s: Float = b?[o] ?? 0
        let grp = o / opg
        for c in 0..<cpg { for i in 0..<g.kernelH { for j in 0..<g.kernelW {
            let iy = oy * g.strideH - g.padH + i * g.dilationH, ix = ox * g.strideW - g.padW + j * g.dilationW
            if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
            s += x[((n * g.inChannels + grp * cpg + c) * g.height + iy) * g.width + ix] * w[((o * cpg + c) * g.kernelH + i) * g.kernelW + j]
        } } }
        y[((n * g.outChannels + o) * oh + oy) * ow + ox] = s
    } } } }
    return y
}

/// Gradients of ⟨conv(x, w), gy⟩ with respect to x and w by the definition.
func naiveConvGradients(_ g: Conv2dGeometry, _ x: [Float], _ w: [Float], _ gy: [Float]) -> (gx: [Float], gw: [Float]) {
    let oh = g.outH, ow = g.outW, cpg = g.inChannels / g.groups, opg = g.outChannels / g.groups
    var gx = [Float](repeating: 0, count: x.count), gw = [Float](repeating: 0, count: w.count)
    for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<oh { for ox in 0..<ow {
        let d = gy[((n * g.outChannels + o) * oh + oy) * ow + ox], grp = o / opg
        for c in 0..<cpg { for i in 0..<g.kernelH { for j in 0..<g.kernelW {
            let iy = oy * g.strideH - g.padH + i * g.dilationH, ix = ox * g.strideW - g.padW + j * g.dilationW
            if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
            let xi = ((n * g.inChannels + grp * cpg + c) * g.height + iy) * g.width + ix
            let wi = ((o * cpg + c) * g.kernelH + i) * g.kernelW + j
            gx[xi] += w[wi] * d
            gw[wi] += x[xi] * d
        } } }
    } } } }
    return (gx, gw)
}

func pseudoRandom(_ n: Int, _ seed: UInt64) -> [Float] {
    var s = seed
    return (0..<n).map { _ in s = s &* 6364136223846793005 &+ 1442695040888963407; return Float(Int(s >> 40) % 2001 - 1000) / 1000 }
}

func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

let geometries: [Conv2dGeometry] = [
    // general, strided + dilated, grouped, 1×1 pointwise, 1×1 of 1×1 maps, depthwise, depthwise multiplier
    .init(batch: 2, inChannels: 3, height: 7, width: 6, outChannels: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 4, height: 9, width: 8, outChannels: 6, kernelH: 3, kernelW: 2, strideH: 2, strideW: 3, padH: 2, padW: 1, dilationH: 2, dilationW: 1, groups: 1),
    .init(batch: 1, inChannels: 6, height: 5, width: 5, outChannels: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 2, padH: 0, padW: 1, dilationH: 1, dilationW: 1, groups: 2),
    .init(batch: 3, inChannels: 8, height: 4, width: 5, outChannels: 5, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 5, inChannels: 8, height: 1, width: 1, outChannels: 3, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 5, height: 9, width: 11, outChannels: 5, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 5),
    .init(batch: 2, inChannels: 3, height: 8, width: 7, outChannels: 6, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, dilationH: 2, dilationW: 1, groups: 3),
    // Direct stride-1 kernels: 4-channel tiles plus a remainder, rows longer than one 16-column tile,
    // dilation with groups, no padding, a padding larger than the kernel reach (GEMM input gradient), narrow maps.
    .init(batch: 2, inChannels: 5, height: 9, width: 19, outChannels: 6, kernelH: 7, kernelW: 7, strideH: 1, strideW: 1, padH: 3, padW: 3, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 8, height: 10, width: 17, outChannels: 12, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 2, padW: 2, dilationH: 2, dilationW: 2, groups: 4),
    .init(batch: 1, inChannels: 3, height: 6, width: 9, outChannels: 9, kernelH: 2, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 4, height: 5, width: 6, outChannels: 5, kernelH: 1, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 3, inChannels: 2, height: 4, width: 3, outChannels: 7, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    // Depthwise stride-1 kernels (azoo_dwconv2d_s1*): rows with a 16-column tail, dilation with a channel
    // multiplier, a padding beyond the kernel reach (input gradient falls back), a 1×7 kernel, 7×7 taps on
    // a map smaller than the kernel, no padding.
    .init(batch: 2, inChannels: 3, height: 7, width: 37, outChannels: 6, kernelH: 5, kernelW: 5, strideH: 1, strideW: 1, padH: 4, padW: 4, dilationH: 2, dilationW: 2, groups: 3),
    .init(batch: 2, inChannels: 4, height: 6, width: 20, outChannels: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 3, padW: 2, dilationH: 1, dilationW: 1, groups: 4),
    .init(batch: 1, inChannels: 6, height: 5, width: 33, outChannels: 6, kernelH: 1, kernelW: 7, strideH: 1, strideW: 1, padH: 0, padW: 3, dilationH: 1, dilationW: 1, groups: 6),
    .init(batch: 2, inChannels: 2, height: 3, width: 4, outChannels: 2, kernelH: 7, kernelW: 7, strideH: 1, strideW: 1, padH: 3, padW: 3, dilationH: 1, dilationW: 1, groups: 2),
    .init(batch: 1, inChannels: 5, height: 8, width: 16, outChannels: 10, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 5),
    // 1×1 on ColumnGEMM: 7×7 maps (register tiles across images) with two 512-deep blocks (forward;
    // its input gradient is only 40 deep: OpenBLAS), groups on 16×16 maps (both ways); a 3×5 map
    // (below 16 columns: OpenBLAS per image).
    .init(batch: 11, inChannels: 600, height: 7, width: 7, outChannels: 40, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 128, height: 16, width: 16, outChannels: 140, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 2),
    .init(batch: 2, inChannels: 6, height: 3, width: 5, outChannels: 7, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1),
    // Winograd F(2×2, 3×3): several tile-row blocks with rows of 20 tiles (past one 16-tile vector) and
    // 40 output channels (a padded 12-row strip); odd 17×15 outputs of a grouped convolution without
    // padding (its input gradient pads by 2); padding 2 on a 14×15 map (input gradient without padding).
    .init(batch: 2, inChannels: 32, height: 60, width: 40, outChannels: 40, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 64, height: 19, width: 17, outChannels: 64, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 2),
    .init(batch: 2, inChannels: 32, height: 14, width: 15, outChannels: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 2, padW: 2, dilationH: 1, dilationW: 1, groups: 1),
    // One image: its blocks of tile rows split over the workers (6 blocks of 5 rows of 20 tiles).
    .init(batch: 1, inChannels: 32, height: 60, width: 40, outChannels: 40, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
]

/// Inference forward passes: F(2×2, 3×3) on a 13×11 map (42 tiles, two 32-tile strips, partial tiles
/// both ways) and 288 → 256 channels (past 256 × 256, inside the 512 × 512 bound) on a 17×13 map (20
/// 4×4 tiles: past the batched F(4×4) path's 16).
let inferenceGeometries: [Conv2dGeometry] = [
    .init(batch: 2, inChannels: 32, height: 13, width: 11, outChannels: 48, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
    .init(batch: 2, inChannels: 288, height: 17, width: 13, outChannels: 256, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1),
]

@Test("inference forward on the wider Winograd bounds equals the definition", arguments: inferenceGeometries.indices)
func convInferenceForward(i: Int) {
    let g = inferenceGeometries[i]
    #expect(g.usesWinograd(inference: true) && !g.usesWinograd && !g.takesWinograd43 && !g.usesWinogradBatched)
    let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 1)
    let w = pseudoRandom(g.outChannels * g.inChannels / g.groups * 9, 2)
    let b = pseudoRandom(g.outChannels, 3)
    var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outH * g.outW)
    y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: b, output: $0.baseAddress!, inference: true) }
    for (a, e) in zip(y, naiveConv(g, x, w, b)) { #expect(abs(a - e) <= 1e-4 + 1e-4 * abs(e)) }
}

@Test("the Winograd cases of the geometries take Winograd (one image too)")
func winogradCasesTakeIt() {
    #expect(geometries.filter(\.usesWinograd).count == 4)
    #expect(geometries.last!.usesWinograd)
}

@Test("conv2d forward (im2col, 1×1, dense, depthwise, direct stride-1 paths) equals the definition", arguments: geometries.indices)
func convForward(i: Int) {
    let g = geometries[i]
    let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 1)
    let w = pseudoRandom(g.outChannels * g.inChannels / g.groups * g.kernelH * g.kernelW, 2)
    let b = pseudoRandom(g.outChannels, 3)
    var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outH * g.outW)
    y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: b, output: $0.baseAddress!) }
    for (a, e) in zip(y, naiveConv(g, x, w, b)) { #expect(abs(a - e) <= 1e-4 + 1e-4 * abs(e)) }
}

@Test("conv2d backward kernels equal the definition and are the adjoints of the forward: ⟨conv(x), gy⟩ = ⟨x, dX(gy)⟩ = ⟨w, dW(x, gy)⟩",
      arguments: geometries.indices)
func convAdjoint(i: Int) {
    let g = geometries[i]
    let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 4)
    let w = pseudoRandom(g.outChannels * g.inChannels / g.groups * g.kernelH * g.kernelW, 5)
    let gy = pseudoRandom(g.batch * g.outChannels * g.outH * g.outW, 6)
    let y = naiveConv(g, x, w, nil)
    var gx = [Float](repeating: .nan, count: x.count), gw = [Float](repeating: .nan, count: w.count)
    var gb = [Float](repeating: .nan, count: g.outChannels)
    gx.withUnsafeMutableBufferPointer { conv2dBackwardInput(g, gradOutput: gy, weight: w, gradInput: $0.baseAddress!) }
    gw.withUnsafeMutableBufferPointer { wp in gb.withUnsafeMutableBufferPointer { bp in
        conv2dBackwardWeight(g, input: x, gradOutput: gy, gradWeight: wp.baseAddress!, gradBias: bp.baseAddress!)
    } }
    let (ex, ew) = naiveConvGradients(g, x, w, gy)
    #expect(zip(gx, ex).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($1) }, "input gradient equals the definition")
    #expect(zip(gw, ew).allSatisfy { abs($0 - $1) <= 1e-3 + 1e-4 * abs($1) }, "weight gradient equals the definition")
    let lhs = dot(y, gy)
    #expect(abs(dot(x, gx) - lhs) <= 1e-3 * max(1, abs(lhs)))
    #expect(abs(dot(w, gw) - lhs) <= 1e-3 * max(1, abs(lhs)))
    let p = g.outH * g.outW
    for o in 0..<g.outChannels {
        var s = 0.0
        for n in 0..<g.batch { for q in 0..<p { s += Double(gy[(n * g.outChannels + o) * p + q]) } }
        #expect(abs(Double(gb[o]) - s) <= 1e-3)
    }
}

@Test("ReLU propagates NaN as PyTorch's; its pullback passes the gradient where the output is not ≤ 0")
func reluKernels() {
    let x: [Float] = [-1, 0, 2, .nan, -0.0, 3]
    var y = [Float](repeating: 7, count: x.count), dx = y
    y.withUnsafeMutableBufferPointer { VectorMath.apply(.relu, x, $0.baseAddress!, count: x.count) }
    #expect(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[3].isNaN && y[4] == 0 && y[5] == 3)
    let g: [Float] = [1, 2, 3, 4, 5, 6]
    dx.withUnsafeMutableBufferPointer { VectorMath.reluBackward(g, y, $0.baseAddress!, count: g.count) }
    #expect(dx == [0, 0, 3, 4, 0, 6])
}

@Test("vectorised exp/sigmoid/silu stay within 2e-7 relative of libm; tanh within 1e-7 absolute near 0")
func vectorMath() {
    let x: [Float] = (0..<1000).map { Float($0) / 25 - 20 }
    for f in [VectorMath.Function.exp, .sigmoid, .tanh, .silu, .relu] {
        var y = [Float](repeating: 0, count: x.count)
        y.withUnsafeMutableBufferPointer { VectorMath.apply(f, x, $0.baseAddress!, count: x.count) }
        for (xi, yi) in zip(x, y) {
            let d = Double(xi)
            let ref: Double
            switch f {
            case .exp: ref = Foundation.exp(d)
            case .sigmoid: ref = 1 / (1 + Foundation.exp(-d))
            case .tanh: ref = Foundation.tanh(d)
            case .silu: ref = d / (1 + Foundation.exp(-d))
            case .relu: ref = max(d, 0)
            }
            let absolute = f == .tanh ? 1e-7 : 1e-9
            #expect(abs(Double(yi) - ref) <= 2e-7 * max(abs(ref), 1e-3) + absolute, "\(f) at \(xi)")
        }
    }
}

import Foundation
