import CKernels
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) (`CKernels/winograd.c`): 16 multiplications per
/// 2×2 output tile and channel pair instead of 36, the 16 transformed products on the GEMM kernel of
/// `ColumnGEMM`. Forward, input gradient (the same convolution of the output gradient with the
/// flipped kernels) and weight gradient (`winogradBackwardWeight`, CKernels/winograd_wgrad.c).
extension Conv2dGeometry {
    /// At least 32 input and output channels per group (fewer: the transforms outweigh the saving,
    /// ResNeXt's 16-channel groups ran 2.5× slower), at most 256 × 256 channels and maps of at least 64
    /// 2×2 tiles; inference forward passes (`inference`) also up to 512 × 512 channels and down to 32
    /// tiles, one register strip. Measured on one core: (8,512,28,28) 512 × 512 forward 137 → 71 ms,
    /// forward+backward 404 → 291; (8,256,14,14), 49 tiles, forward 11.1 → 5.8 ms, forward+backward
    /// 32.0 → 19.6; resnet18 forward+backward 434 → 400–423 ms, resnet50 1173 → 1137, resnest50d 1668 →
    /// 1428. Training keeps the narrower bounds: with the canvases of Tensor+WinogradLayouts.swift
    /// (which bring batches of small maps onto them) the wider ones no longer gain (resnet18
    /// forward+backward 220–236 ms narrow, 237–247 wide, two threads); their earlier obstacle, ReLU
    /// kinks of the resnet34 parity fixture flipped by F(2×2)'s rounding, is gone with its nudged
    /// input (`AZOO_WINOGRAD_WIDE_TRAINING=1` passes every parity test). Beyond 512 × 512 the 16 transformed kernel matrices (64·cin·cout bytes, read
    /// once per block of tiles) leave the 32 MB L3 (SK's 1024 × 1024 ran 1.3× slower); on 7×7 maps
    /// (16 tiles) 1.1× slower. And at least one (image, group) item per worker (the items are what the
    /// workers share) or, with fewer (a batch of one image), two blocks of tile rows per worker.
    private func winogradShape(inference asked: Bool) -> Bool {
        let inference = asked || ConvolutionPaths.winogradWideTraining
        let channels = inference ? 1 << 18 : 1 << 16, tiles = inference ? 32 : 64
        return ConvolutionPaths.winograd && WinogradKernel.available && kernelH == 3 && kernelW == 3 && strideH == 1
            && strideW == 1 && dilationH == 1 && dilationW == 1 && padH == padW && padH <= 2 && !isDepthwise
            && cpg >= 32 && opg >= 32 && cpg * opg <= channels && (outH + 1) / 2 * ((outW + 1) / 2) >= tiles
            && (batch * groups >= Threading.workerCount
                || azoo_wino_block_count(cpg, opg, height, width, padH) >= 2 * Threading.workerCount)
    }
    /// Whether a forward pass that records gradients runs on the Winograd kernel.
    public var usesWinograd: Bool { winogradShape(inference: false) }
    /// Whether a forward pass runs on it (`inference`: no gradient will be taken through it).
    public func usesWinograd(inference: Bool) -> Bool { winogradShape(inference: inference) }
    /// Whether the input gradient does (padding 2 − p around the output gradient).
    var winogradInputGradient: Bool { winogradShape(inference: false) }
    /// Whether the weight gradient does (dU = Σ dM·Vᵀ over the tiles, then Gᵀ·dU·G), with at least one
    /// (image, group) item per worker (its workers share those only).
    var winogradWeightGradient: Bool {
        winogradShape(inference: false) && batch * groups >= Threading.workerCount && ConvolutionPaths.winogradWeightGradient
    }
    /// Whether an inference forward pass takes F(4×4, 3×3): maps of at least 64 4×4 tiles (fewer:
    /// ResNet-50 layer3's 16×32 halves in Faster R-CNN ran 4.0 → 5.1 ms, the 9.4 MB of transformed
    /// 256 × 256 kernels outweighing the saving), at most 256 × 256 channels (its 36 transformed kernel
    /// matrices of 512 × 512 would exceed the L3).
    /// With fewer (image, group) items than workers, at least one of its own blocks of tile rows per worker.
    var winograd43: Bool {
        ConvolutionPaths.winograd43 && cpg * opg <= 1 << 16 && (outH + 3) / 4 * ((outW + 3) / 4) >= 64
            && (batch * groups >= Threading.workerCount
                || azoo_wino43_block_count(cpg, opg, height, width, padH) >= Threading.workerCount)
    }
    /// Whether an inference forward pass of this convolution runs on F(4×4, 3×3) (for tests).
    public var takesWinograd43: Bool { winogradShape(inference: true) && winograd43 }
}

enum WinogradKernel {
    /// The C entry points of F(2×2, 3×3) (winograd.c) or F(4×4, 3×3) (winograd43.c).
    struct Variant: Sendable {
        let planeSize: @convention(c) (Int, Int, Int) -> Int
        let padSize: @convention(c) (Int, Int, Int, Int) -> Int
        let workSize: @convention(c) (Int, Int, Int, Int, Int) -> Int
        let blockCount: @convention(c) (Int, Int, Int, Int, Int) -> Int
        let pad: @convention(c) (UnsafePointer<Float>?, Int, Int, Int, Int, UnsafeMutablePointer<Float>?) -> Void
        let run: @convention(c) (UnsafePointer<Float>?, Int, Int, Int, Int, UnsafePointer<Float>?, Int, UnsafePointer<Float>?,
                  UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Int, Int, UnsafePointer<azoo_epilogue>?) -> Void
        static let f23 = Variant(planeSize: azoo_wino_plane_size, padSize: azoo_wino_pad_size, workSize: azoo_wino_work_size,
                                 blockCount: azoo_wino_block_count, pad: azoo_wino_pad, run: azoo_wino_f23)
        static let f43 = Variant(planeSize: azoo_wino43_plane_size, padSize: azoo_wino43_pad_size,
                                 workSize: azoo_wino43_work_size, blockCount: azoo_wino43_block_count, pad: azoo_wino43_pad,
                                 run: azoo_wino_f43)
    }

    /// AVX-512 only; `AZOO_WINOGRAD=0` (or `AZOO_CONV_ISA` below 2) turns it off for side-by-side runs.
    static let available: Bool = azoo_wino_available() != 0 && getenv("AZOO_WINOGRAD").map { String(cString: $0) } != "0"

    /// `out` (N, cout·groups, h + 2p − 2, w + 2p − 2) from `input` (N, cin·groups, h, w); kernels packed by `pack`
    /// (`azoo_wino43_pack_u` with `f43`, else `azoo_wino_pack_u`); F(4×4, 3×3) with `f43`, else F(2×2, 3×3).
    /// `cached`: the forward weights behind `pack` ((cout·groups, cin, 3, 3)) when U may come from and go
    /// to `WinogradKernelCache` (inference passes).
    static func run(batch: Int, groups: Int, cin: Int, cout: Int, h: Int, w: Int, pad: Int, f43: Bool,
                    input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                    cached: UnsafePointer<Float>? = nil, epilogue: ConvEpilogue? = nil,
                    pack: @Sendable (_ group: Int, _ strips: Range<Int>, _ dst: UnsafeMutablePointer<Float>) -> Void) {
        let oh = h + 2 * pad - 2, ow = w + 2 * pad - 2
        let uSize = f43 ? azoo_wino43_u_size(cout, cin) : azoo_wino_u_size(cout, cin)
        // Every group's 12-output strips, split over the workers (one group: 9.4 MB of F(4×4, 3×3)
        // kernels for 256 × 256 channels, 3% of a Faster R-CNN inference on one thread).
        let strips = (cout + 11) / 12
        func packAll(_ u: UnsafeMutablePointer<Float>) {
            let uu = UncheckedSendable(u)
            Threading.parallelFor(groups * strips) { r in
                var item = r.lowerBound
                while item < r.upperBound {
                    let grp = item / strips, end = min(r.upperBound, (grp + 1) * strips)
                    pack(grp, (item - grp * strips)..<(end - grp * strips), uu.value + grp * uSize)
                    item = end
                }
            }
        }
        var kept: WinogradKernelCache.Buffer?
        let u: UnsafeMutablePointer<Float>
        if let weights = cached, ConvolutionPaths.winogradKernelCache {
            let key = WinogradKernelCache.Key(weights: UInt(bitPattern: weights), f43: f43, cin: cin, cout: cout, groups: groups)
            let buffer = WinogradKernelCache.shared.buffer(key, hash: azoo_hash_floats(weights, groups * cout * cin * 9),
                                                           count: groups * uSize, pack: packAll)
            kept = buffer
            u = buffer.pointer
        } else {
            u = UnsafeMutablePointer<Float>.allocate(capacity: groups * uSize)
            packAll(u)
        }
        defer { if kept == nil { u.deallocate() } }
        let v = f43 ? Variant.f43 : Variant.f23
        let plane = v.planeSize(h, w, pad), padSize = v.padSize(cin, h, w, pad), workSize = v.workSize(cin, cout, h, w, pad)
        let blocks = v.blockCount(cin, cout, h, w, pad)
        let x = UncheckedSendable(input), y = UncheckedSendable(output), b = bias.map { UncheckedSendable($0) }
        let up = UncheckedSendable(UnsafePointer(u))
        func item(_ i: Int) -> (src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, kernels: UnsafePointer<Float>,
                                bias: UnsafePointer<Float>?, channel: Int, offset: Int) {
            let n = i / groups, grp = i % groups
            return (x.value + (n * groups + grp) * cin * h * w, y.value + (n * groups + grp) * cout * oh * ow,
                    up.value + grp * uSize, b.map { UnsafePointer($0.value + grp * cout) }, grp * cout, (n * groups + grp) * cout * oh * ow)
        }
        if batch * groups >= Threading.workerCount {
            // (image, group) items over the workers, each padded and computed whole.
            Threading.parallelFor(batch * groups) { r in
                let scratch = ColumnBuffer(count: padSize + workSize)
                for i in r {
                    let it = item(i)
                    v.pad(it.src, cin, h, w, pad, scratch.pointer)
                    (scratch.pointer + padSize - 128).update(repeating: 0, count: 128)
                    withEpilogue(epilogue, channel: it.channel, offset: it.offset) { e in
                        v.run(scratch.pointer, cin, h, w, pad, it.kernels, cout, it.bias, it.dst, scratch.pointer + padSize, 0, blocks, e)
                    }
                }
            }
            return
        }
        // Fewer items than workers (one image): each item's planes padded by all workers, then its
        // blocks of tile rows split over them (no copies of the image into row halves).
        let padded = ColumnBuffer(count: padSize), pp = UncheckedSendable(padded.pointer)
        (padded.pointer + padSize - 128).update(repeating: 0, count: 128)
        for i in 0..<batch * groups {
            let it = item(i), src = UncheckedSendable(it.src), dst = UncheckedSendable(it.dst)
            let kernels = UncheckedSendable(it.kernels), add = it.bias.map { UncheckedSendable($0) }
            Threading.parallelFor(cin) { r in
                v.pad(src.value + r.lowerBound * h * w, r.count, h, w, pad, pp.value + r.lowerBound * plane)
            }
            withEpilogue(epilogue, channel: it.channel, offset: it.offset) { e in
                let ep = e.map { UncheckedSendable($0) }
                Threading.parallelFor(blocks) { r in
                    let work = ColumnBuffer(count: workSize)
                    v.run(pp.value, cin, h, w, pad, kernels.value, cout, add?.value, dst.value, work.pointer, r.lowerBound, r.upperBound,
                          ep?.value)
                }
            }
        }
    }
}

/// Forward; `inference`: U from `WinogradKernelCache`. F(4×4, 3×3) with `f43`, for inference only:
/// its rounding error is about 10× F(2×2, 3×3)'s, and in recorded forwards it did not pay (resnet50
/// forward+backward 645–670 ms with it, 625–659 without; with the nudged fixture inputs the parity
/// tests pass either way).
func winogradForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                     _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>, f43: Bool, inference: Bool,
                     epilogue: ConvEpilogue? = nil) {
    let w = UncheckedSendable(weight), cpg = g.cpg, opg = g.opg
    WinogradKernel.run(batch: g.batch, groups: g.groups, cin: cpg, cout: opg, h: g.height, w: g.width, pad: g.padH, f43: f43,
                       input: input, bias: bias, output: output,
                       cached: inference ? weight : nil, epilogue: epilogue) { grp, s, dst in
        (f43 ? azoo_wino43_pack_u : azoo_wino_pack_u)(w.value + grp * opg * cpg * 9, opg, cpg, cpg * 9, 9, 0, dst, s.lowerBound,
                                                      s.upperBound)
    }
}

/// Input gradient: the convolution of the output gradient, padded by 2 − p, with the flipped
/// kernels, input and output channels swapped per group.
func winogradBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           _ gradInput: UnsafeMutablePointer<Float>) {
    let w = UncheckedSendable(weight), cpg = g.cpg, opg = g.opg
    WinogradKernel.run(batch: g.batch, groups: g.groups, cin: opg, cout: cpg, h: g.outH, w: g.outW, pad: 2 - g.padH, f43: false,
                       input: gradOutput, bias: nil, output: gradInput) { grp, s, dst in
        azoo_wino_pack_u(w.value + grp * opg * cpg * 9, cpg, opg, 9, cpg * 9, 1, dst, s.lowerBound, s.upperBound)
    }
}

/// Weight gradient: per group, the transformed gradients dU of its images summed (images split over
/// the workers when there are fewer groups than workers, each part with its own dU, added in order),
/// then dW = Gᵀ·dU·G.
func winogradBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                            _ gradWeight: UnsafeMutablePointer<Float>) {
    let cpg = g.cpg, opg = g.opg, h = g.height, w = g.width, oh = g.outH, ow = g.outW, pad = g.padH
    let parts = max(1, min(g.batch, Threading.workerCount / g.groups)), items = g.groups * parts
    let duSize = azoo_wino_du_size(opg, cpg)
    let du = UnsafeMutablePointer<Float>.allocate(capacity: items * duSize)
    defer { du.deallocate() }
    let scratchSize = azoo_wino_wgrad_scratch_size(cpg, opg, h, w, pad)
    let x = UncheckedSendable(input), gy = UncheckedSendable(gradOutput), d = UncheckedSendable(du)
    let gw = UncheckedSendable(gradWeight)
    Threading.parallelFor(items) { r in
        let scratch = ColumnBuffer(count: scratchSize)
        for item in r {
            let grp = item / parts, part = item % parts
            let acc = d.value + item * duSize
            acc.update(repeating: 0, count: duSize)
            for n in (part * g.batch / parts)..<((part + 1) * g.batch / parts) {
                azoo_wino_wgrad_accumulate(x.value + (n * g.inChannels + grp * cpg) * h * w, cpg, h, w, pad,
                                           gy.value + (n * g.outChannels + grp * opg) * oh * ow, opg, acc, scratch.pointer)
            }
        }
    }
    // The parts summed and dU turned into dW per (group, range of output channels): one group (ResNet's
    // 3×3s) is still split over the workers (this ran on one core: ~5 ms of a resnet50 forward+backward).
    let ranges = max(1, min(opg / 12, 2 * Threading.workerCount / g.groups))
    Threading.parallelFor(g.groups * ranges) { r in
        for item in r {
            let grp = item / ranges, o0 = item % ranges * opg / ranges, o1 = (item % ranges + 1) * opg / ranges
            azoo_wino_wgrad_finish(d.value + grp * parts * duSize, parts, duSize, opg, cpg, gw.value + grp * opg * cpg * 9, cpg * 9,
                                   9, o0, o1)
        }
    }
}
