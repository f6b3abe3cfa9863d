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
    /// ResNeXt's 16-channel groups ran 2.5× slower) and at most 256 × 256 (the 16 transformed kernel
    /// matrices, 64·cin·cout bytes, are read once per block of tiles: SK's 1024 × 1024 3×3, 67 MB
    /// of them, ran 1.3× slower), on maps of at least 64 2×2 tiles (the residual attention module's
    /// 7×7 and 14×14 maps, 16 and 49 tiles in 32-tile register strips, ran 1.1× slower), and with at
    /// least one (image, group) item per worker (the items are what the workers share).
    private var winogradShape: Bool {
        ConvolutionPaths.winograd && WinogradKernel.available && kernelH == 3 && kernelW == 3 && strideH == 1
            && strideW == 1 && dilationH == 1 && dilationW == 1 && padH == padW && padH <= 2 && !isDepthwise
            && cpg >= 32 && opg >= 32 && cpg * opg <= 1 << 16
            && (outH + 1) / 2 * ((outW + 1) / 2) >= 64 && batch * groups >= Threading.workerCount
    }
    /// Whether the forward pass runs on the Winograd kernel.
    var usesWinograd: Bool { winogradShape }
    /// Whether the input gradient does (padding 2 − p around the output gradient).
    var winogradInputGradient: Bool { winogradShape }
    /// Whether the weight gradient does (dU = Σ dM·Vᵀ over the tiles, then Gᵀ·dU·G).
    var winogradWeightGradient: Bool { winogradShape && ConvolutionPaths.winogradWeightGradient }
}

enum WinogradKernel {
    /// AVX-512 only; `AZOO_WINOGRAD=0` (or `AZOO_CONV_ISA` below 2) turns it off for side-by-side runs.
    static let available: Bool = azoo_wino_available() != 0 && getenv("AZOO_WINOGRAD").map { String(cString: $0) } != "0"

    /// `out` (N, cout·groups, h + 2p − 2, w + 2p − 2) from `input` (N, cin·groups, h, w); kernels packed by `pack`.
    static func run(batch: Int, groups: Int, cin: Int, cout: Int, h: Int, w: Int, pad: Int,
                    input: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                    pack: @Sendable (_ group: Int, _ dst: UnsafeMutablePointer<Float>) -> Void) {
        let oh = h + 2 * pad - 2, ow = w + 2 * pad - 2
        let uSize = azoo_wino_u_size(cout, cin)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: groups * uSize)
        defer { u.deallocate() }
        let uu = UncheckedSendable(u)
        Threading.parallelFor(groups) { r in for grp in r { pack(grp, uu.value + grp * uSize) } }
        let scratchSize = azoo_wino_scratch_size(cin, cout, h, w, pad)
        let x = UncheckedSendable(input), y = UncheckedSendable(output), b = bias.map { UncheckedSendable($0) }
        let up = UncheckedSendable(UnsafePointer(u))
        Threading.parallelFor(batch * groups) { r in
            let scratch = ColumnBuffer(count: scratchSize)
            for item in r {
                let n = item / groups, grp = item % groups
                azoo_wino_f23(x.value + (n * groups + grp) * cin * h * w, cin, h, w, pad, up.value + grp * uSize, cout,
                              b.map { $0.value + grp * cout }, y.value + (n * groups + grp) * cout * oh * ow,
                              scratch.pointer)
            }
        }
    }
}

func winogradForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                     _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>) {
    let w = UncheckedSendable(weight), cpg = g.cpg, opg = g.opg
    WinogradKernel.run(batch: g.batch, groups: g.groups, cin: cpg, cout: opg, h: g.height, w: g.width, pad: g.padH,
                       input: input, bias: bias, output: output) { grp, dst in
        azoo_wino_pack_u(w.value + grp * opg * cpg * 9, opg, cpg, cpg * 9, 9, 0, dst)
    }
}

/// Input gradient: the convolution of the output gradient, padded by 2 − p, with the flipped
/// kernels, input and output channels swapped per group.
func winogradBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           _ gradInput: UnsafeMutablePointer<Float>) {
    let w = UncheckedSendable(weight), cpg = g.cpg, opg = g.opg
    WinogradKernel.run(batch: g.batch, groups: g.groups, cin: opg, cout: cpg, h: g.outH, w: g.outW, pad: 2 - g.padH,
                       input: gradOutput, bias: nil, output: gradInput) { grp, dst in
        azoo_wino_pack_u(w.value + grp * opg * cpg * 9, cpg, opg, 9, cpg * 9, 1, dst)
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
    Threading.parallelFor(g.groups) { r in
        for grp in r {
            let first = d.value + grp * parts * duSize
            for part in 1..<parts {
                let other = first + part * duSize
                for i in 0..<duSize { first[i] += other[i] }
            }
            azoo_wino_wgrad_finish(first, opg, cpg, gw.value + grp * opg * cpg * 9, cpg * 9, 9)
        }
    }
}
