#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CKernels

// Direct stride-1 convolution (CKernels' register-tiled loops over zero-padded planes) for
// the shapes where im2col + GEMM does poorly: at most 64 output channels per group (GAM's 7×7 64→16,
// SK's and ResNeXt's grouped 3×3). The input gradient is the same direct convolution of the
// padded output gradient with the flipped, transposed kernel; the weight gradient has its own
// loop. Large dense convolutions keep the GEMM path, which is as fast there.

/// Switches between convolution algorithms, for benchmarks that compare them.
public enum ConvolutionPaths {
    /// Whether stride-1 convolutions with at most 64 output channels per group use the direct
    /// kernels (default) instead of im2col + GEMM.
    /// Task-local (no global mutable state): `ConvolutionPaths.$directStrideOne.withValue(false) { … }`.
    @TaskLocal public static var directStrideOne = true
    /// Whether 1×1 convolutions whose batch divides evenly over the workers give whole images to
    /// the workers (one full-width product per image) instead of splitting each image's product
    /// over the workers (default since the spinning pool made a split cheap: conv 1×1
    /// (8,1024,14,14)→256 fwd 4.79 → 4.60 ms, f+b 15.4 → 14.5; ResNeXt block, SKUnit, PSANet,
    /// PAM f+b 2–13% faster). Products below sgemm's split threshold go over images either way.
    /// Task-local, for the side-by-side benchmark.
    @TaskLocal public static var pointwiseOverImages = false
    /// Whether 1×1 convolutions (forward and input gradient) run as one product over the whole batch
    /// on our own AVX-512 GEMM (`ColumnGEMM`, where the CPU has it) instead of OpenBLAS per image.
    /// Task-local, for the side-by-side benchmark and the tests of the other path.
    @TaskLocal public static var pointwiseColumnGEMM = true
    /// Whether 3×3 stride-1 convolutions (forward and input gradient) use Winograd's F(2×2, 3×3)
    /// (`Conv2d+Winograd.swift`, where the CPU has AVX-512). Task-local, for the side-by-side
    /// benchmark and the tests of the other paths.
    @TaskLocal public static var winograd = true
    /// Whether Winograd convolutions on maps of at least 32 4×4 tiles use F(4×4, 3×3) (2.25
    /// multiplications per output instead of F(2×2, 3×3)'s 4; `AZOO_WINOGRAD43=0` turns it off).
    @TaskLocal public static var winograd43 = getenv("AZOO_WINOGRAD43").map { String(cString: $0) } != "0"
    /// Whether inference 3×3 convolutions of wide channels on small maps run F(4×4, 3×3) over the whole
    /// batch (`Conv2d+WinogradBatched.swift`; `AZOO_WINOGRAD_BATCHED=0` turns it off).
    @TaskLocal public static var winogradBatched = getenv("AZOO_WINOGRAD_BATCHED").map { String(cString: $0) } != "0"
    /// Whether im2col convolutions (forward and input gradient) run several images per `ColumnGEMM`
    /// product (`Conv2d+BatchedColumns.swift`) instead of OpenBLAS image by image
    /// (`AZOO_BATCHED_COLUMNS=0` turns it off). Task-local, for benchmarks and the other path's tests.
    @TaskLocal public static var batchedColumns = getenv("AZOO_BATCHED_COLUMNS").map { String(cString: $0) } != "0"
    /// Whether the Winograd paths also take the weight gradient (`AZOO_WINOGRAD_WGRAD=0` turns it off).
    @TaskLocal public static var winogradWeightGradient = getenv("AZOO_WINOGRAD_WGRAD").map { String(cString: $0) } != "0"
    /// Whether inference Winograd passes keep their transformed kernels between calls, keyed by the
    /// weights' contents (`WinogradKernelCache`; `AZOO_WINOGRAD_CACHE=0` turns it off).
    @TaskLocal public static var winogradKernelCache = getenv("AZOO_WINOGRAD_CACHE").map { String(cString: $0) } != "0"
    /// Whether 3×3 convolutions outside the Winograd bounds are re-laid out onto them when that
    /// reaches them: dilated ones as sub-grids, batches of small maps as canvases
    /// (TensorCore/Tensor+WinogradLayouts.swift; `AZOO_WINOGRAD_LAYOUTS=0` turns it off).
    @TaskLocal public static var winogradLayouts = getenv("AZOO_WINOGRAD_LAYOUTS").map { String(cString: $0) } != "0"
    /// Whether strided 7×7 convolutions with few input channels (ResNet's stem) run as a stride-1
    /// convolution of the input's phases on the direct kernels (TensorCore/Tensor+PhaseLayout.swift;
    /// `AZOO_PHASE_LAYOUT=0` turns it off).
    @TaskLocal public static var phaseLayout = getenv("AZOO_PHASE_LAYOUT").map { String(cString: $0) } != "0"
    /// Whether inference blocks run a convolution with its constant norm, ReLU and residual sum as one
    /// convolution with an epilogue (Backbones' `fusedConvNorm`, `ConvEpilogue`; `AZOO_CONV_EPILOGUE=0`
    /// turns it off).
    @TaskLocal public static var convEpilogue = getenv("AZOO_CONV_EPILOGUE").map { String(cString: $0) } != "0"
    /// Whether the weight gradient of a 1×1 convolution of maps of ≥ 512 positions runs one product per
    /// image from the tensors instead of copying them into batched columns first
    /// (`Conv2d+BatchedColumns.swift`; `AZOO_PW_WGRAD_PER_IMAGE=0` turns it off).
    @TaskLocal public static var pointwiseWeightGradientPerImage = getenv("AZOO_PW_WGRAD_PER_IMAGE").map { String(cString: $0) } != "0"
    /// Whether inference passes of stride-2 convolutions that are grouped or have at most 4 input
    /// channels run on the direct kernels (`Conv2dGeometry.usesDirectStride2`; `AZOO_DIRECT_STRIDE2=0`
    /// turns it off).
    @TaskLocal public static var directStrideTwo = getenv("AZOO_DIRECT_STRIDE2").map { String(cString: $0) } != "0"
    /// Whether passes that record gradients also take the inference bounds of F(2×2, 3×3) (up to
    /// 512 × 512 channels, maps down to 32 tiles). Off by default (its rounding flipped ReLU kinks of
    /// the resnet34 gradient-parity fixture's plain input; the fixture's input is now nudged off
    /// those ties, docs/backbones.md); `AZOO_WINOGRAD_WIDE_TRAINING=1`.
    @TaskLocal public static var winogradWideTraining = getenv("AZOO_WINOGRAD_WIDE_TRAINING").map { String(cString: $0) } == "1"
}

extension Conv2dGeometry {
    /// Whether the direct kernels serve this convolution.
    public var usesDirect: Bool {
        ConvolutionPaths.directStrideOne && strideH == 1 && strideW == 1 && !isDepthwise && !isPointwise && opg <= 64 && outH > 0 && outW > 0
    }

    /// Whether an inference forward pass of this stride-2 convolution runs on the direct kernels, over
    /// planes split into their even and odd columns (so each tap is a plain vector load), with at most
    /// 64 output channels per group: grouped ones (ResNeXt's stride-2 3×3s) and those of at most 4
    /// input channels (ResNet's 7×7 stem), which otherwise take the phase re-layout (a copy of the whole
    /// input; 1.78× and 1.31× the multiply-adds) or im2col. `AZOO_DIRECT_STRIDE2=0` turns it off.
    public var usesDirectStride2: Bool {
        ConvolutionPaths.directStrideTwo && strideH == 2 && strideW == 2 && dilationH == 1 && dilationW == 1
            && (groups > 1 || inChannels <= 4)
            && !isDepthwise && !isPointwise && opg <= 64 && outH > 0 && outW > 0
    }

    /// Whether the input gradient can be the direct convolution of the padded output gradient.
    var directInputGradient: Bool {
        usesDirect && (kernelH - 1) * dilationH >= padH && (kernelW - 1) * dilationW >= padW
    }
}

@inline(__always) private func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

/// Floats between padded planes of hp × wp: the kernels read up to 16 past a plane's end.
@inline(__always) private func planeStride(_ hp: Int, _ wp: Int) -> Int { hp * wp + 16 }

/// One direct stride-1 convolution pass (the forward, or the input gradient as a convolution of
/// the output gradient): `groups` groups of `cin` → `cout` channels per image, planes of h × w
/// into oh × ow. Work items are group-major (group, image, block of 8 output channels), split
/// in one parallel region; each worker pads the input planes of the (group, image) it is on and
/// packs the group's weights (`pack(group, dst)`) into its own buffers when they change, so no
/// separate passes and no batch-sized padded copy.
/// `stride2`: a stride-2 convolution (dilation 1) on planes of hp rows of the padded plane's ws = wp
/// even columns and then its odd ones (`azoo_pad_planes_s2`, `azoo_conv2d_s2`).
private struct DirectPass {
    var batch: Int, groups: Int, cin: Int, cout: Int
    var h: Int, w: Int, top: Int, left: Int, hp: Int, wp: Int
    var oh: Int, ow: Int, kh: Int, kw: Int, dh: Int, dw: Int
    var stride2 = false

    func run(_ src: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
             epilogue: ConvEpilogue? = nil, pack: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let plane = stride2 ? 2 * hp * wp + 32 : planeStride(hp, wp), blocks = (cout + 7) / 8, perGroup = cout * cin * kh * kw
        Threading.parallelFor(groups * batch * blocks) { r in
            let padded = ColumnBuffer(count: cin * plane), packed = ColumnBuffer(count: perGroup)
            var packedGroup = -1, paddedPair = -1
            for item in r {
                let b = item % blocks, pair = item / blocks, n = pair % batch, grp = pair / batch
                if grp != packedGroup { pack(grp, packed.pointer); packedGroup = grp }
                if pair != paddedPair {
                    (stride2 ? azoo_pad_planes_s2 : azoo_pad_planes)(src + (n * groups + grp) * cin * h * w, cin, h, w, top, left,
                                                                     hp, wp, plane, padded.pointer)
                    paddedPair = pair
                }
                withEpilogue(epilogue, channel: grp * cout) { e in
                    let b0 = bias.map { $0 + grp * cout }, y = out + (n * groups + grp) * cout * oh * ow
                    if stride2 {
                        azoo_conv2d_s2(padded.pointer, cin, plane, hp, wp, packed.pointer, kh, kw, b0, y, oh, ow, b * 8,
                                       min(cout, b * 8 + 8), e)
                    } else {
                        azoo_conv2d_s1(padded.pointer, cin, plane, hp, wp, packed.pointer, kh, kw, dh, dw, b0, y, oh, ow, b * 8,
                                       min(cout, b * 8 + 8), e)
                    }
                }
            }
        }
    }
}

/// Forward: `output` (N, O, outH, outW) is overwritten. `epilogue`: scale, shift and ReLU only (no residual).
func directForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue? = nil) {
    precondition(epilogue?.residual == nil, "directForward: no residual epilogue")
    let pass = DirectPass(batch: g.batch, groups: g.groups, cin: g.cpg, cout: g.opg, h: g.height, w: g.width,
                          top: g.padH, left: g.padW, hp: g.height + 2 * g.padH, wp: g.width + 2 * g.padW,
                          oh: g.outH, ow: g.outW, kh: g.kernelH, kw: g.kernelW, dh: g.dilationH, dw: g.dilationW)
    let taps = g.taps, perGroup = g.opg * g.cpg * taps
    pass.run(input, bias, output, epilogue: epilogue) { grp, dst in
        azoo_conv2d_pack(weight + grp * perGroup, g.opg, g.cpg, taps, g.cpg * taps, taps, 0, dst)
    }
}

/// Forward of a stride-2 convolution (`usesDirectStride2`): `output` (N, O, outH, outW) is overwritten.
/// `epilogue`: scale, shift and ReLU only (no residual).
func directForwardStride2(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                          _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue? = nil) {
    precondition(epilogue?.residual == nil, "directForwardStride2: no residual epilogue")
    let pass = DirectPass(batch: g.batch, groups: g.groups, cin: g.cpg, cout: g.opg, h: g.height, w: g.width,
                          top: g.padH, left: g.padW, hp: 2 * (g.outH - 1) + g.kernelH, wp: g.outW + (g.kernelW - 1) / 2,
                          oh: g.outH, ow: g.outW, kh: g.kernelH, kw: g.kernelW, dh: 1, dw: 1, stride2: true)
    let taps = g.taps, perGroup = g.opg * g.cpg * taps
    pass.run(input, bias, output, epilogue: epilogue) { grp, dst in
        azoo_conv2d_pack(weight + grp * perGroup, g.opg, g.cpg, taps, g.cpg * taps, taps, 0, dst)
    }
}

/// Input gradient: `gradInput` (N, C, H, W) is overwritten. Requires `directInputGradient`.
/// The direct convolution of the padded output gradient with the flipped kernel, input and
/// output channels swapped per group.
func directBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                         _ gradInput: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let qh = (g.kernelH - 1) * g.dilationH - g.padH, qw = (g.kernelW - 1) * g.dilationW - g.padW
    let pass = DirectPass(batch: g.batch, groups: g.groups, cin: g.opg, cout: g.cpg, h: oh, w: ow, top: qh, left: qw,
                          hp: oh + 2 * qh, wp: ow + 2 * qw, oh: g.height, ow: g.width,
                          kh: g.kernelH, kw: g.kernelW, dh: g.dilationH, dw: g.dilationW)
    let taps = g.taps, perGroup = g.opg * g.cpg * taps
    pass.run(gradOutput, nil, gradInput) { grp, dst in
        azoo_conv2d_pack(weight + grp * perGroup, g.cpg, g.opg, taps, taps, g.cpg * taps, 1, dst)
    }
}

/// Weight gradient: `gradWeight` (O, C/groups, kH, kW) is overwritten. Parallel over groups ×
/// blocks of 8 output channels, all images inside the kernel; each worker pads the input planes
/// of its group (all images) once and the output gradient of each block.
func directBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                          _ gradWeight: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width, cpg = g.cpg, opg = g.opg
    let hp = h + 2 * g.padH, wp = w + 2 * g.padW, plane = planeStride(hp, wp)
    let gwp = azoo_conv2d_s1_rows(oh, ow, wp) != 0 ? roundUp(ow, 16) : wp, gplane = roundUp(oh * gwp, 16)
    let taps = g.taps, blocks = (opg + 7) / 8
    Threading.parallelFor(g.groups * blocks) { r in
        let padded = ColumnBuffer(count: g.batch * cpg * plane), gpad = ColumnBuffer(count: g.batch * 8 * gplane)
        var paddedGroup = -1
        for item in r {
            let grp = item / blocks, co0 = item % blocks * 8, nco = min(opg, co0 + 8) - co0
            if grp != paddedGroup {
                for n in 0..<g.batch {
                    azoo_pad_planes(input + (n * g.inChannels + grp * cpg) * h * w, cpg, h, w, g.padH, g.padW, hp, wp,
                                    plane, padded.pointer + n * cpg * plane)
                }
                paddedGroup = grp
            }
            for n in 0..<g.batch {
                azoo_pad_planes(gradOutput + (n * g.outChannels + grp * opg + co0) * oh * ow, nco, oh, ow, 0, 0, oh, gwp,
                                gplane, gpad.pointer + n * nco * gplane)
            }
            azoo_conv2d_s1_wgrad(padded.pointer, cpg, plane, cpg * plane, wp, gpad.pointer, gplane, nco * gplane, g.batch,
                                 oh, ow, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                                 gradWeight + (grp * opg + co0) * cpg * taps, 0, nco)
        }
    }
}
