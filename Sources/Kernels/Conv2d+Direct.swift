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
    /// the workers (default; one full-width product per image) instead of splitting each image's
    /// product into column blocks. Task-local, for the side-by-side benchmark.
    @TaskLocal public static var pointwiseOverImages = true
}

extension Conv2dGeometry {
    /// Whether the direct kernels serve this convolution.
    var usesDirect: Bool {
        ConvolutionPaths.directStrideOne && strideH == 1 && strideW == 1 && !isDepthwise && !isPointwise && opg <= 64 && outH > 0 && outW > 0
    }

    /// Whether the input gradient can be the direct convolution of the padded output gradient.
    var directInputGradient: Bool {
        usesDirect && (kernelH - 1) * dilationH >= padH && (kernelW - 1) * dilationW >= padW
    }
}

@inline(__always) private func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

/// Copies `planes` planes of h × w into zero-filled planes of hp × wp at offset (top, left),
/// `stride` floats apart (the floats after hp·wp are zeros too).
private func padPlanes(_ src: UnsafePointer<Float>, planes: Int, h: Int, w: Int, top: Int, left: Int,
                       hp: Int, wp: Int, stride: Int) -> ColumnBuffer {
    let buf = ColumnBuffer(count: planes * stride)
    let dst = buf.pointer
    Threading.parallelFor(planes, minChunk: max(1, 8192 / max(1, stride))) { r in
        azoo_pad_planes(src + r.lowerBound * h * w, r.count, h, w, top, left, hp, wp, stride, dst + r.lowerBound * stride)
    }
    return buf
}

/// Floats between padded planes of hp × wp: the kernels read up to 16 past a plane's end.
@inline(__always) private func planeStride(_ hp: Int, _ wp: Int) -> Int { hp * wp + 16 }

/// Every group's weights packed for `azoo_conv2d_pack`'s layout: `nout` output channels of `nin`
/// inputs per group, element (o, i, t) at o·ostride + i·istride + t of the group's weights.
private func packWeights(_ g: Conv2dGeometry, _ weight: UnsafePointer<Float>, nout: Int, nin: Int,
                         ostride: Int, istride: Int, flip: Bool) -> ColumnBuffer {
    let perGroup = g.opg * g.cpg * g.taps
    let packed = ColumnBuffer(count: g.groups * perGroup)
    Threading.parallelFor(g.groups, minChunk: max(1, 16384 / perGroup)) { r in
        for grp in r {
            azoo_conv2d_pack(weight + grp * perGroup, nout, nin, g.taps, ostride, istride, flip ? 1 : 0,
                             packed.pointer + grp * perGroup)
        }
    }
    return packed
}

/// Runs `body(image, group, c0, c1)` over every image × group × block of 8 channels (the last
/// block of a group may be shorter) in one parallel region.
private func forImageBlocks(batch: Int, groups: Int, perGroup: Int, _ body: (Int, Int, Int, Int) -> Void) {
    let blocks = (perGroup + 7) / 8
    Threading.parallelFor(batch * groups * blocks) { r in
        for item in r {
            let b = item % blocks, grp = (item / blocks) % groups, n = item / (blocks * groups)
            body(n, grp, b * 8, min(perGroup, b * 8 + 8))
        }
    }
}

/// Forward: `output` (N, O, outH, outW) is overwritten.
func directForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let hp = g.height + 2 * g.padH, wp = g.width + 2 * g.padW, plane = planeStride(hp, wp)
    let padded = padPlanes(input, planes: g.batch * g.inChannels, h: g.height, w: g.width, top: g.padH, left: g.padW,
                           hp: hp, wp: wp, stride: plane)
    let packed = packWeights(g, weight, nout: g.opg, nin: g.cpg, ostride: g.cpg * g.taps, istride: g.taps, flip: false)
    let wPerGroup = g.opg * g.cpg * g.taps
    forImageBlocks(batch: g.batch, groups: g.groups, perGroup: g.opg) { n, grp, co0, co1 in
        azoo_conv2d_s1(padded.pointer + (n * g.inChannels + grp * g.cpg) * plane, g.cpg, plane, hp, wp,
                       packed.pointer + grp * wPerGroup, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                       bias.map { $0 + grp * g.opg }, output + (n * g.outChannels + grp * g.opg) * oh * ow,
                       oh, ow, co0, co1)
    }
}

/// Input gradient: `gradInput` (N, C, H, W) is overwritten. Requires `directInputGradient`.
/// The direct convolution of the padded output gradient with the flipped kernel, input and
/// output channels swapped per group.
func directBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                         _ gradInput: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    let qh = (g.kernelH - 1) * g.dilationH - g.padH, qw = (g.kernelW - 1) * g.dilationW - g.padW
    let hp = oh + 2 * qh, wp = ow + 2 * qw, plane = planeStride(hp, wp)
    let padded = padPlanes(gradOutput, planes: g.batch * g.outChannels, h: oh, w: ow, top: qh, left: qw,
                           hp: hp, wp: wp, stride: plane)
    let taps = g.taps, wPerGroup = g.opg * g.cpg * taps
    let packed = packWeights(g, weight, nout: g.cpg, nin: g.opg, ostride: taps, istride: g.cpg * taps, flip: true)
    forImageBlocks(batch: g.batch, groups: g.groups, perGroup: g.cpg) { n, grp, ci0, ci1 in
        azoo_conv2d_s1(padded.pointer + (n * g.outChannels + grp * g.opg) * plane, g.opg, plane, hp, wp,
                       packed.pointer + grp * wPerGroup, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                       nil, gradInput + (n * g.inChannels + grp * g.cpg) * h * w, h, w, ci0, ci1)
    }
}

/// Weight gradient: `gradWeight` (O, C/groups, kH, kW) is overwritten. Parallel over groups ×
/// blocks of 8 output channels, all images inside the kernel.
func directBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                          _ gradWeight: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let hp = g.height + 2 * g.padH, wp = g.width + 2 * g.padW, plane = planeStride(hp, wp)
    let gwp = azoo_conv2d_s1_rows(oh, ow, wp) != 0 ? roundUp(ow, 16) : wp, gplane = roundUp(oh * gwp, 16)
    let padded = padPlanes(input, planes: g.batch * g.inChannels, h: g.height, w: g.width, top: g.padH, left: g.padW,
                           hp: hp, wp: wp, stride: plane)
    let gpad = padPlanes(gradOutput, planes: g.batch * g.outChannels, h: oh, w: ow, top: 0, left: 0,
                         hp: oh, wp: gwp, stride: gplane)
    let wPerGroup = g.opg * g.cpg * g.taps
    forImageBlocks(batch: 1, groups: g.groups, perGroup: g.opg) { _, grp, co0, co1 in
        azoo_conv2d_s1_wgrad(padded.pointer + grp * g.cpg * plane, g.cpg, plane, g.inChannels * plane, wp,
                             gpad.pointer + grp * g.opg * gplane, gplane, g.outChannels * gplane, g.batch, oh, ow,
                             g.kernelH, g.kernelW, g.dilationH, g.dilationW, gradWeight + grp * wPerGroup, co0, co1)
    }
}
