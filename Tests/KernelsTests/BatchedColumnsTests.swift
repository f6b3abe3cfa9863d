import Testing
@testable import Kernels

/// The batched-columns convolution path (several images' im2col in one `ColumnGEMM` product) against
/// the one-image OpenBLAS path, for the shapes it takes: ResNet's stem, stride-2 and dilated 3×3s,
/// 3×3s on 7×7 maps, grouped 3×3s (ResNeSt's radix 2), a 1×1 on a 7×7 map (weight gradient), and a
/// geometry whose column buffer holds one image at a time (chunks).
@Suite struct BatchedColumnsTests {
    // (batch, in channels, height, width, out channels, kernel, stride, padding, dilation[, groups])
    @Test("forward, input and weight gradients equal the one-image path", arguments: [
        [2, 3, 48, 44, 32, 7, 2, 3, 1], [3, 128, 7, 7, 64, 3, 1, 1, 1], [2, 64, 128, 128, 48, 5, 2, 2, 1],
        [2, 96, 20, 17, 40, 3, 2, 1, 1], [2, 128, 30, 30, 96, 3, 1, 2, 2], [3, 256, 7, 7, 256, 3, 1, 1, 1, 2],
        [2, 129, 14, 13, 192, 3, 2, 1, 1, 3], [3, 512, 7, 7, 256, 1, 1, 0, 1],
    ])
    func matchesPerImage(_ s: [Int]) {
        let (n, c, h, w, o, k) = (s[0], s[1], s[2], s[3], s[4], s[5])
        let g = Conv2dGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o, kernelH: k, kernelW: k,
                               strideH: s[6], strideW: s[6], padH: s[7], padW: s[7], dilationH: s[8], dilationW: s[8],
                               groups: s.count > 9 ? s[9] : 1)
        // 1×1 convolutions: the weight gradient only (their forward has its own one-product path).
        #expect(k == 1 ? g.batchedColumnsWeightGradient : g.usesBatchedColumns, "\(s) should take the batched path")
        var rng = SplitMix(seed: 11)
        let x = (0..<(n * c * h * w)).map { _ in rng.nextFloat() }
        let wt = (0..<(o * (c / g.groups) * k * k)).map { _ in rng.nextFloat() * 0.05 }
        let bias = (0..<o).map { _ in rng.nextFloat() }
        let gy = (0..<(n * o * g.outH * g.outW)).map { _ in rng.nextFloat() }
        func run() -> ([Float], [Float], [Float]) {
            var y = [Float](repeating: .nan, count: gy.count), gx = [Float](repeating: .nan, count: x.count)
            var gw = [Float](repeating: .nan, count: wt.count)
            x.withUnsafeBufferPointer { xp in wt.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
                conv2dForward(g, input: xp.baseAddress!, weight: wp.baseAddress!, bias: bp.baseAddress!, output: &y)
            } } }
            gy.withUnsafeBufferPointer { gp in wt.withUnsafeBufferPointer { wp in
                conv2dBackwardInput(g, gradOutput: gp.baseAddress!, weight: wp.baseAddress!, gradInput: &gx)
            } }
            x.withUnsafeBufferPointer { xp in gy.withUnsafeBufferPointer { gp in
                conv2dBackwardWeight(g, input: xp.baseAddress!, gradOutput: gp.baseAddress!, gradWeight: &gw, gradBias: nil)
            } }
            return (y, gx, gw)
        }
        let ours = run()
        let reference = ConvolutionPaths.$batchedColumns.withValue(false) { run() }
        func check(_ a: [Float], _ r: [Float], _ what: String) {
            let scale = r.map(Swift.abs).max() ?? 1
            let worst = zip(a, r).map { $0.isNaN || $1.isNaN ? .infinity : Swift.abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale, "\(what) \(s): worst difference \(worst) at scale \(scale)")
        }
        check(ours.0, reference.0, "forward"); check(ours.1, reference.1, "input gradient"); check(ours.2, reference.2, "weight gradient")
    }
}

/// The 1×1 weight gradient on maps of ≥ 512 positions, one product per image from the tensors, equals
/// the batched-columns product (itself checked against PyTorch by the op and network fixtures).
@Test("1×1 weight gradient per image equals the batched columns'")
func pointwiseWeightGradientPerImage() {
    let g = Conv2dGeometry(batch: 3, inChannels: 256, height: 24, width: 25, outChannels: 288, kernelH: 1, kernelW: 1,
                           strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1)
    #expect(g.batchedColumnsWeightGradient || !ColumnGEMM.available)
    var rng = SplitMix(seed: 11)
    let x = (0..<(3 * 256 * 600)).map { _ in rng.nextFloat() - 0.5 }, gy = (0..<(3 * 288 * 600)).map { _ in rng.nextFloat() - 0.5 }
    expectSameWeightGradient(g, x, gy) { perImage, run in ConvolutionPaths.$pointwiseWeightGradientPerImage.withValue(perImage, operation: run) }
}

/// The weight gradient of `g` with the path switch on and off: equal to 1e-5, and not bit-equal
/// (the two paths sum in different orders; identical results suggest one path ran twice).
func expectSameWeightGradient(_ g: Conv2dGeometry, _ x: [Float], _ gy: [Float],
                              sourceLocation: SourceLocation = #_sourceLocation, switching: (Bool, () -> Void) -> Void) {
    func gradient(_ on: Bool) -> [Float] {
        var gw = [Float](repeating: .nan, count: g.outChannels * g.inChannels)
        switching(on) {
            x.withUnsafeBufferPointer { xp in gy.withUnsafeBufferPointer { gp in
                conv2dBackwardWeight(g, input: xp.baseAddress!, gradOutput: gp.baseAddress!, gradWeight: &gw, gradBias: nil)
            } }
        }
        return gw
    }
    let a = gradient(true), b = gradient(false)
    let worst = zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max()!
    #expect(worst < 1e-5, "worst relative difference \(worst)", sourceLocation: sourceLocation)
    #expect(a != b || !ColumnGEMM.available, "the two paths differ in summation order; identical results suggest one path ran twice",
            sourceLocation: sourceLocation)
}

/// 1×1s of maps of ≥ 512 positions with 16 Ki weights (ResNet layer1's 256 → 64) take the per-image
/// ColumnGEMM products too; they equal the per-image OpenBLAS products they replaced. 64 → 64 stays.
@Test("1×1 weight gradient of 16 Ki weights on large maps runs on ColumnGEMM and equals the OpenBLAS path")
func pointwiseWeightGradientSmallWeights() {
    let g = Conv2dGeometry(batch: 3, inChannels: 256, height: 24, width: 25, outChannels: 64, kernelH: 1, kernelW: 1,
                           strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1)
    #expect(g.batchedColumnsWeightGradient || !ColumnGEMM.available)
    let small = Conv2dGeometry(batch: 3, inChannels: 64, height: 24, width: 25, outChannels: 64, kernelH: 1, kernelW: 1,
                               strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1)
    #expect(!small.batchedColumnsWeightGradient, "64 → 64 keeps the image-parallel products")
    var rng = SplitMix(seed: 12)
    let x = (0..<(3 * 256 * 600)).map { _ in rng.nextFloat() - 0.5 }, gy = (0..<(3 * 64 * 600)).map { _ in rng.nextFloat() - 0.5 }
    expectSameWeightGradient(g, x, gy) { batched, run in ConvolutionPaths.$batchedColumns.withValue(batched, operation: run) }
}
