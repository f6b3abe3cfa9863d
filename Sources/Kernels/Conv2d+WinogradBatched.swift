import CKernels

/// 3×3 convolutions of wide channels on small maps (SKNet-50's 512 × 512 on 14×14 and 1024 × 1024 on
/// 7×7 maps and their dilation-2 sub-grids; ResNet's layer3 and layer4) by Winograd over the whole
/// batch (`CKernels/winograd_batched.c`, `azoo_winob_*`): F(4×4, 3×3) for inference forwards, F(2×2,
/// 3×3) for recorded forwards, input and weight gradients (the rounding the per-image paths use for
/// each; the weight gradient in `winograd_wgrad.c`, `azoo_wino_wgradb_*`). The
/// per-image paths stream all transformed kernels U (36 · cin · cout floats for F(4×4): 151 MB for
/// 1024 × 1024, past the 32 MB L3 and the kernel cache) once per block of a few tiles, and beyond 512 ×
/// 512 channels (256 × 256 when recording) do not run at all. Here the order is turned round: the
/// transformed input V of every image's tiles is made once (a few MB, in the L3); then each worker takes
/// a range of 12-output strips and, one strip at a time, transforms its kernels straight from the
/// weights (1.8 MB for 1024 input channels: in L2, no cache needed), runs the products against all
/// tiles on ColumnGEMM's register tile, and the output transform with the bias and epilogue. The
/// positions of U and V lie a cache line more than their matrices apart: at exact multiples, their
/// streams of stores fell into the same cache sets and the kernel transform alone took 17 ms instead
/// of 4 on 1024 × 1024.
/// Inference: (8,1024,7,7) → 1024: 24.7 → 8.9–11.6 ms (dense im2col before); dilation 2 (as sub-grids)
/// 25.6 → 10.8; (8,512,14,14) → 512: 12.9 → 6.9 (per-image F(2×2)); (8,256,14,14) → 256: 2.8 → 1.8–2.3;
/// (8,512,7,7) → 512: 4.6 → 2.9; sknet50 eval forward 637–648 → 515–527 ms. Recorded: sknet50
/// forward+backward 2270–2279 → 2022–2048 ms, 1907–1947 with the weight gradient (alternating
/// `AZOO_WINOGRAD_BATCHED=0`, two threads).
extension Conv2dGeometry {
    /// Whether an inference forward pass takes it: 3×3, stride 1, dilation 1, padding 1, one group, at
    /// least 256 channels each way, maps of at most 16 4×4 tiles (14×14; larger maps keep the per-image
    /// paths, whose blocks of tiles already reuse U enough).
    public var usesWinogradBatched: Bool {
        ConvolutionPaths.winogradBatched && WinogradKernel.available && kernelH == 3 && kernelW == 3 && strideH == 1
            && strideW == 1 && dilationH == 1 && dilationW == 1 && padH == 1 && padW == 1 && groups == 1
            && inChannels >= 256 && outChannels >= 256
            && (outH + 3) / 4 * ((outW + 3) / 4) <= 16
    }
    /// Whether a recorded forward pass and its input and weight gradients take it, on F(2×2, 3×3): the
    /// same shapes beyond 256 × 256 channels, which the per-image F(2×2) leaves to im2col when recording.
    public var usesWinogradBatchedTraining: Bool { usesWinogradBatched && inChannels * outChannels > 1 << 16 }
    /// `usesWinogradBatched` for an inference pass, `usesWinogradBatchedTraining` for a recorded one.
    public func usesWinogradBatched(inference: Bool) -> Bool { inference ? usesWinogradBatched : usesWinogradBatchedTraining }
}

enum WinogradBatched {
    /// Output strips per block: their U (36 · 12 · cin floats, 1.8 MB for 1024 input channels) stays in
    /// L2. 1, 2 and 3 ran alike on SK's 1024 × 1024 (8.9 ms); 4 and 8 slower (U leaves L2).
    static let stripsPerBlock = 1
    /// Floats of one batch chunk's V (16 MB: half the L3); larger batches run in chunks of images,
    /// each packing the kernels again. Task-local for the tests of chunking.
    @TaskLocal static var vBudgetFloats = 4 << 20

    /// F(4×4, 3×3) (36 positions per 4 × 4 tile) or F(2×2, 3×3) (16 per 2 × 2 tile).
    struct Variant: Sendable {
        let f43: Bool
        var flag: Int32 { f43 ? 1 : 0 }
        var positions: Int { f43 ? 36 : 16 }
        var tile: Int { f43 ? 4 : 2 }
        static let f43 = Variant(f43: true), f23 = Variant(f43: false)
    }

    /// `output` (N, cout, h + 2p − 2, w + 2p − 2) from `input` (N, cin, h, w) and kernels whose element
    /// (o, i, tap) is weight[o·ostride + i·istride + tap] (taps reversed when `flip`).
    static func run(_ v: Variant, batch: Int, cin: Int, cout: Int, h: Int, w: Int, pad p: Int, input: UnsafePointer<Float>,
                    weight: UnsafePointer<Float>, ostride: Int, istride: Int, flip: Bool, bias: UnsafePointer<Float>?,
                    output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue?) {
        let oh = h + 2 * p - 2, ow = w + 2 * p - 2, outPlane = oh * ow, strips = (cout + 11) / 12, kb = stripsPerBlock
        let tilesPerImage = (oh + v.tile - 1) / v.tile * ((ow + v.tile - 1) / v.tile)
        let chunk = max(1, min(batch, vBudgetFloats / (v.positions * tilesPerImage * cin)))
        let plane = azoo_winob_plane_size(v.flag, h, w, p), channelsPerItem = 64
        let x = UncheckedSendable(input), wt = UncheckedSendable(weight), b = bias.map { UncheckedSendable($0) }
        let y = UncheckedSendable(output)
        for first in stride(from: 0, to: batch, by: chunk) {
            let n = min(chunk, batch - first)
            let vSize = azoo_winob_v_size(v.flag, cin, n, h, w, p)
            let vb = ColumnBuffer(count: vSize), vp = UncheckedSendable(vb.pointer)
            // Each position's last strip (its columns past the tiles are never written): zero, not garbage.
            let vxi = vSize / v.positions, lastStrip = (n * tilesPerImage - 1) / 32 * 32 * cin
            for xi in 0..<v.positions { (vb.pointer + xi * vxi + lastStrip).update(repeating: 0, count: 32 * cin) }
            let parts = (cin + channelsPerItem - 1) / channelsPerItem
            Threading.parallelFor(n * parts) { r in
                let padded = ColumnBuffer(count: channelsPerItem * plane + 128)
                (padded.pointer + channelsPerItem * plane).update(repeating: 0, count: 128)
                for item in r {
                    let img = item / parts, c0 = (item % parts) * channelsPerItem, c1 = min(cin, c0 + channelsPerItem)
                    azoo_winob_input(v.flag, x.value + (first + img) * cin * h * w, cin, h, w, p, c0, c1, img, n, padded.pointer, vp.value)
                }
            }
            withEpilogue(epilogue, channel: 0, offset: first * cout * outPlane) { e in
                let ep = e.map { UncheckedSendable($0) }
                Threading.parallelFor(strips) { r in
                    let ub = ColumnBuffer(count: azoo_winob_u_size(v.flag, cin, kb))
                    let mb = ColumnBuffer(count: azoo_winob_m_size(v.flag, n, h, w, p, kb))
                    azoo_winob_block(v.flag, wt.value, ostride, istride, flip ? 1 : 0, cin, h, w, p, cout, n, vp.value, r.lowerBound,
                                     r.upperBound, kb, b?.value, y.value + first * cout * outPlane, ub.pointer, mb.pointer, ep?.value)
                }
            }
        }
    }
}

/// Forward: F(4×4, 3×3) for inference, else F(2×2, 3×3).
func winogradBatchedForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                            _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>, f43: Bool, epilogue: ConvEpilogue?) {
    WinogradBatched.run(f43 ? .f43 : .f23, batch: g.batch, cin: g.inChannels, cout: g.outChannels, h: g.height, w: g.width, pad: g.padH,
                        input: input, weight: weight, ostride: g.inChannels * 9, istride: 9, flip: false, bias: bias,
                        output: output, epilogue: epilogue)
}

/// Input gradient (F(2×2, 3×3)): the convolution of the output gradient, padded by 2 − p, with the
/// flipped kernels, input and output channels swapped.
func winogradBatchedBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                  _ gradInput: UnsafeMutablePointer<Float>) {
    WinogradBatched.run(.f23, batch: g.batch, cin: g.outChannels, cout: g.inChannels, h: g.outH, w: g.outW, pad: 2 - g.padH,
                        input: gradOutput, weight: weight, ostride: 9, istride: g.inChannels * 9, flip: true, bias: nil,
                        output: gradInput, epilogue: nil)
}

/// Weight gradient (F(2×2, 3×3), `CKernels/winograd_wgrad.c`): the input and output-gradient transforms
/// of every image's tiles, then per 12-output strip dU_ξ = Σ_tiles dM_ξ·V_ξᵀ as one product over all
/// tiles (k = N·tiles) and dW = Gᵀ·dU·G. Batches whose transforms exceed the budget run in chunks of
/// images, each chunk's dW added to the first's in order.
func winogradBatchedBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                                   _ gradWeight: UnsafeMutablePointer<Float>) {
    let cin = g.inChannels, cout = g.outChannels, h = g.height, w = g.width, p = g.padH, outPlane = g.outH * g.outW
    let tilesPerImage = (g.outH + 1) / 2 * ((g.outW + 1) / 2), strips = (cout + 11) / 12
    let perImage = 16 * tilesPerImage * ((cin + 31) / 32 * 32 + strips * 12)
    let chunk = max(1, min(g.batch, WinogradBatched.vBudgetFloats / perImage)), wCount = cout * cin * 9
    let partial = chunk < g.batch ? ColumnBuffer(count: wCount) : nil
    let x = UncheckedSendable(input), gy = UncheckedSendable(gradOutput)
    for first in stride(from: 0, to: g.batch, by: chunk) {
        let n = min(chunk, g.batch - first)
        let vt = ColumnBuffer(count: azoo_wino_wgradb_vt_size(cin, n, h, w, p))
        let gt = ColumnBuffer(count: azoo_wino_wgradb_gt_size(cout, n, h, w, p))
        let vp = UncheckedSendable(vt.pointer), gp = UncheckedSendable(gt.pointer)
        Threading.parallelFor(n) { r in
            let scratch = ColumnBuffer(count: azoo_wino_wgradb_scratch_size(cin, h, w, p))
            for img in r {
                azoo_wino_wgradb_transform(x.value + (first + img) * cin * h * w, cin, h, w, p,
                                           gy.value + (first + img) * cout * outPlane, cout, img, n, vp.value, gp.value,
                                           scratch.pointer)
            }
        }
        let dst = UncheckedSendable(first == 0 ? gradWeight : partial!.pointer)
        Threading.parallelFor(strips) { r in
            let du = ColumnBuffer(count: azoo_wino_wgradb_du_size(cin))
            azoo_wino_wgradb_block(vp.value, gp.value, cin, cout, n * tilesPerImage, r.lowerBound, r.upperBound, du.pointer,
                                   dst.value, cin * 9, 9)
        }
        if first > 0 { for i in 0..<wCount { gradWeight[i] += partial!.pointer[i] } }
    }
}
