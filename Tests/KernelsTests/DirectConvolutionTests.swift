import Kernels
import Testing

/// Direct stride-1 shapes for the tile edges: output widths 1, 5, 7, 14, 16, 17, 32, 33 (per-row and
/// flattened position vectors, partial last vectors and tiles), channel counts that leave blocks of
/// 4, 2 and 1 after the blocks of 8 (forward and, as input channels, the input gradient), dilation 2,
/// kernels 1×3, 5×5, 7×7, groups, and one image or several.
private func directGeometry(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ o: Int, _ kh: Int, _ kw: Int, pad: (Int, Int),
                            dilation: Int = 1, groups: Int = 1) -> Conv2dGeometry {
    .init(batch: n, inChannels: c, height: h, width: w, outChannels: o, kernelH: kh, kernelW: kw, strideH: 1, strideW: 1,
          padH: pad.0, padW: pad.1, dilationH: dilation, dilationW: dilation, groups: groups)
}

let directGeometries: [Conv2dGeometry] = [
    directGeometry(2, 3, 4, 1, 15, 3, 3, pad: (1, 1)),
    directGeometry(1, 5, 6, 5, 13, 3, 3, pad: (1, 1)),
    directGeometry(2, 16, 7, 7, 16, 3, 3, pad: (1, 1), groups: 2),
    directGeometry(2, 32, 14, 14, 32, 3, 3, pad: (1, 1), groups: 2),
    directGeometry(1, 7, 9, 16, 19, 5, 5, pad: (2, 2)),
    directGeometry(2, 6, 8, 17, 10, 1, 3, pad: (0, 1)),
    directGeometry(1, 12, 11, 32, 24, 3, 3, pad: (2, 2), dilation: 2, groups: 3),
    directGeometry(2, 9, 10, 33, 11, 7, 7, pad: (3, 3)),
    directGeometry(3, 4, 12, 20, 9, 3, 3, pad: (0, 0)),
    directGeometry(1, 2, 13, 13, 1, 7, 7, pad: (3, 3)),
]

@Test("direct stride-1 convolution, input and weight gradients equal the definition on odd shapes",
      arguments: directGeometries.indices)
func directConvolution(i: Int) {
    let g = directGeometries[i]
    let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 11)
    let w = pseudoRandom(g.outChannels * g.inChannels / g.groups * g.kernelH * g.kernelW, 12)
    let b = pseudoRandom(g.outChannels, 13)
    let gy = pseudoRandom(g.batch * g.outChannels * g.outH * g.outW, 14)
    for bias in [b, nil] as [[Float]?] {
        var y = [Float](repeating: .nan, count: gy.count)
        y.withUnsafeMutableBufferPointer { yp in
            if let bias { conv2dForward(g, input: x, weight: w, bias: bias, output: yp.baseAddress!) }
            else { conv2dForward(g, input: x, weight: w, bias: nil, output: yp.baseAddress!) }
        }
        let e = naiveConv(g, x, w, bias)
        #expect(zip(y, e).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($1) }, "forward, bias \(bias != nil)")
    }
    var gx = [Float](repeating: .nan, count: x.count), gw = [Float](repeating: .nan, count: w.count)
    gx.withUnsafeMutableBufferPointer { conv2dBackwardInput(g, gradOutput: gy, weight: w, gradInput: $0.baseAddress!) }
    gw.withUnsafeMutableBufferPointer {
        conv2dBackwardWeight(g, input: x, gradOutput: gy, gradWeight: $0.baseAddress!, gradBias: nil)
    }
    let (ex, ew) = naiveConvGradients(g, x, w, gy)
    #expect(zip(gx, ex).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($1) }, "input gradient")
    #expect(zip(gw, ew).allSatisfy { abs($0 - $1) <= 1e-3 + 1e-4 * abs($1) }, "weight gradient")
}

@Test("direct and im2col paths agree on a larger grouped 5×5 convolution (many tiles per plane)")
func directMatchesIm2col() {
    let g = directGeometry(2, 20, 30, 33, 38, 5, 5, pad: (2, 2), groups: 2)
    let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 21)
    let w = pseudoRandom(g.outChannels * g.inChannels / g.groups * g.kernelH * g.kernelW, 22)
    let gy = pseudoRandom(g.batch * g.outChannels * g.outH * g.outW, 23)
    func run() -> ([Float], [Float], [Float]) {
        var y = [Float](repeating: .nan, count: gy.count), gx = [Float](repeating: .nan, count: x.count)
        var gw = [Float](repeating: .nan, count: w.count)
        y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: nil, output: $0.baseAddress!) }
        gx.withUnsafeMutableBufferPointer { conv2dBackwardInput(g, gradOutput: gy, weight: w, gradInput: $0.baseAddress!) }
        gw.withUnsafeMutableBufferPointer {
            conv2dBackwardWeight(g, input: x, gradOutput: gy, gradWeight: $0.baseAddress!, gradBias: nil)
        }
        return (y, gx, gw)
    }
    let direct = run()
    let gemm = ConvolutionPaths.$directStrideOne.withValue(false) { run() }
    for (name, a, e) in [("forward", direct.0, gemm.0), ("input gradient", direct.1, gemm.1), ("weight gradient", direct.2, gemm.2)] {
        #expect(zip(a, e).allSatisfy { abs($0 - $1) <= 1e-3 + 1e-4 * abs($1) }, "\(name)")
    }
}
