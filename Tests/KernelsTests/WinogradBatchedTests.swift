@testable import Kernels
import Testing

/// Winograd over the whole batch (Conv2d+WinogradBatched.swift: ≥ 256 channels each way, maps of ≤ 16
/// 4×4 tiles): F(4×4, 3×3) for inference against the definition in Double, with Winograd43Tests' bound
/// on the error over Σ|x·w|; F(2×2, 3×3) for recorded passes (forward and input gradient) against the
/// definition. The cases are at its smallest channel counts, so that the definition stays cheap.
@Suite struct WinogradBatchedTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, geometry: Conv2dGeometry, bias: Bool, budget: Int?
        var testDescription: String { name }
    }

    static func geometry(_ n: Int, _ cin: Int, _ h: Int, _ w: Int, _ cout: Int) -> Conv2dGeometry {
        Conv2dGeometry(batch: n, inChannels: cin, height: h, width: w, outChannels: cout, kernelH: 3, kernelW: 3, strideH: 1,
                       strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1)
    }

    /// Input, weights and (with `c.bias`) bias of the case, from seeds `seed`, `seed + 1`, `seed + 2`.
    static func operands(_ c: Case, seed: UInt64) -> ([Float], [Float], [Float]?) {
        let g = c.geometry
        return (pseudoRandom(g.batch * g.inChannels * g.height * g.width, seed), pseudoRandom(g.outChannels * g.inChannels * 9, seed + 1),
                c.bias ? pseudoRandom(g.outChannels, seed + 2) : nil)
    }

    static let cases = [
        // 262 outputs: a last strip of 10 channels; 12 tiles: one partial strip of 32.
        Case(name: "7×7 maps, 256 → 262, bias", geometry: geometry(3, 256, 7, 7, 262), bias: true, budget: nil),
        // 16 tiles per image (13 columns: a partial last tile), strips of 32 straddling images.
        Case(name: "14×13 maps, 5 images", geometry: geometry(5, 256, 14, 13, 256), bias: false, budget: nil),
        // A V budget of two images: chunks of 2, 2, 2, 1, each packing the kernels again.
        Case(name: "5×6 maps in chunks of two images", geometry: geometry(7, 256, 5, 6, 256), bias: true,
             budget: 2 * 36 * 4 * 256),
    ]

    @Test("batched F(4×4, 3×3) equals the definition within bound · Σ|x·w|", arguments: cases)
    func forward(_ c: Case) {
        let g = c.geometry
        guard WinogradKernel.available else { return }
        #expect(g.usesWinogradBatched, "the case must exercise the batched path")
        #expect(!ConvolutionPaths.$winogradBatched.withValue(false) { g.usesWinogradBatched })
        let (x, w, b) = Self.operands(c, seed: 21)
        var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outH * g.outW)
        WinogradBatched.$vBudgetFloats.withValue(c.budget ?? WinogradBatched.vBudgetFloats) {
            y.withUnsafeMutableBufferPointer {
                conv2dForward(g, input: x, weight: w, bias: b, output: $0.baseAddress!, inference: true)
            }
        }
        #expect(!y.contains { $0.isNaN }, "every output written")
        let worst = errorOverMagnitude(g, x, w, b, y)
        #expect(worst <= Winograd43Tests.bound, "largest error / Σ|x·w| = \(worst)")
    }

    /// Recorded passes: F(2×2, 3×3) forward, input gradient (flipped, transposed kernels, gathered) and
    /// weight gradient (one product over all images' tiles), beyond 256 × 256 channels; one case in chunks
    /// of two images (the weight gradient's chunks are its own: 1 + 1 + 1 + 1 + 1 here).
    static let trainingCases = [
        Case(name: "7×7 maps, 288 → 260, bias", geometry: geometry(3, 288, 7, 7, 260), bias: true, budget: nil),
        Case(name: "13×11 maps in chunks of two images", geometry: geometry(5, 256, 13, 11, 264), bias: false,
             budget: 2 * 16 * 42 * 264),
    ]

    @Test("recorded F(2×2, 3×3) forward, input and weight gradients equal the definition", arguments: trainingCases)
    func training(_ c: Case) {
        let g = c.geometry
        guard WinogradKernel.available else { return }
        #expect(g.usesWinogradBatchedTraining && !g.usesWinograd && !g.winogradInputGradient)
        let (x, w, b) = Self.operands(c, seed: 31)
        let gy = pseudoRandom(g.batch * g.outChannels * g.outH * g.outW, 34)
        var y = [Float](repeating: .nan, count: gy.count), gx = [Float](repeating: .nan, count: x.count)
        var gw = [Float](repeating: .nan, count: w.count)
        WinogradBatched.$vBudgetFloats.withValue(c.budget ?? WinogradBatched.vBudgetFloats) {
            y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: b, output: $0.baseAddress!, inference: false) }
            gx.withUnsafeMutableBufferPointer { conv2dBackwardInput(g, gradOutput: gy, weight: w, gradInput: $0.baseAddress!) }
            gw.withUnsafeMutableBufferPointer {
                conv2dBackwardWeight(g, input: x, gradOutput: gy, gradWeight: $0.baseAddress!, gradBias: nil)
            }
        }
        // F(2×2)'s error: a few ulps of Σ|x·w| (sums of ~2600 terms of size ≤ 1 here; the weight gradient's
        // of N·H·W ≤ 715 terms).
        let (ex, ew) = naiveConvGradients(g, x, w, gy)
        for (a, e) in zip(y, naiveConv(g, x, w, b)) { #expect(abs(a - e) <= 2e-4 + 1e-4 * abs(e)) }
        for (a, e) in zip(gx, ex) { #expect(abs(a - e) <= 2e-4 + 1e-4 * abs(e)) }
        for (a, e) in zip(gw, ew) { #expect(abs(a - e) <= 2e-4 + 1e-4 * abs(e)) }
    }

    @Test("groups, strides, larger maps and narrower channels keep the other paths")
    func bounds() {
        let g = Self.geometry(2, 512, 14, 14, 512)
        guard WinogradKernel.available else { return }
        #expect(g.usesWinogradBatched)
        var grouped = g; grouped.groups = 2
        var strided = g; strided.strideH = 2; strided.strideW = 2
        #expect(!grouped.usesWinogradBatched && !strided.usesWinogradBatched)
        #expect(!Self.geometry(2, 512, 17, 14, 512).usesWinogradBatched)   // 20 tiles per map
        #expect(!Self.geometry(2, 128, 7, 7, 512).usesWinogradBatched)     // fewer than 256 input channels
        // Recorded passes only beyond 256 × 256 (the per-image F(2×2) or canvases take those).
        #expect(g.usesWinogradBatchedTraining && !Self.geometry(8, 256, 14, 14, 256).usesWinogradBatchedTraining)
    }
}
