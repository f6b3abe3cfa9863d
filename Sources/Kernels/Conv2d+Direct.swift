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

/// Copies `planes` planes of h × w into zero-filled planes of hp × wp at offset (top, left).
private func padPlanes(_ src: UnsafePointer<Float>, planes: Int, h: Int, w: Int, top: Int, left: Int,
                       hp: Int, wp: Int) -> ColumnBuffer {
    let buf = ColumnBuffer(count: planes * hp * wp)
    let dst = buf.pointer
    Threading.parallelFor(planes, minChunk: max(1, 8192 / max(1, hp * wp))) { r in
        for p in r {
            let d = dst + p * hp * wp, s = src + p * h * w
            d.update(repeating: 0, count: hp * wp)
            for y in 0..<h { (d + (y + top) * wp + left).update(from: s + y * w, count: w) }
        }
    }
    return buf
}

/// Runs `body(group, co0, co1)` over every (group, output-channel range) pair of `outChannels`
/// channels split into groups of `perGroup`, in parallel over both cores.
private func forChannelRanges(_ outChannels: Int, perGroup: Int, _ body: (Int, Int, Int) -> Void) {
    Threading.parallelFor(outChannels) { r in
        var o = r.lowerBound
        while o < r.upperBound {
            let grp = o / perGroup, co0 = o % perGroup
            let co1 = min(perGroup, co0 + (r.upperBound - o))
            body(grp, co0, co1)
            o += co1 - co0
        }
    }
}

/// Runs `body(image, group, co0, co1)` over every (image, group, channel range) of `batch`
/// images × `outChannels` channels split into groups of `perGroup`, in one parallel region over
/// both cores (one region for the whole batch, not one per image).
private func forImageChannelRanges(batch: Int, _ outChannels: Int, perGroup: Int, _ body: (Int, Int, Int, Int) -> Void) {
    Threading.parallelFor(batch * outChannels) { r in
        var o = r.lowerBound
        while o < r.upperBound {
            let n = o / outChannels, oc = o % outChannels
            let grp = oc / perGroup, co0 = oc % perGroup
            let co1 = min(perGroup, co0 + (r.upperBound - o))
            body(n, grp, co0, co1)
            o += co1 - co0
        }
    }
}

/// Forward: `output` (N, O, outH, outW) is overwritten.
func directForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let hp = g.height + 2 * g.padH, wp = roundUp(ow, 16) + (g.kernelW - 1) * g.dilationW
    let padded = padPlanes(input, planes: g.batch * g.inChannels, h: g.height, w: g.width, top: g.padH, left: g.padW, hp: hp, wp: wp)
    let wPerGroup = g.opg * g.cpg * g.taps
    forImageChannelRanges(batch: g.batch, g.outChannels, perGroup: g.opg) { n, grp, co0, co1 in
        azoo_conv2d_s1(padded.pointer + (n * g.inChannels + grp * g.cpg) * hp * wp, g.cpg, hp, wp,
                       weight + grp * wPerGroup, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                       bias.map { $0 + grp * g.opg }, output + (n * g.outChannels + grp * g.opg) * oh * ow,
                       oh, ow, co0, co1)
    }
}

/// Input gradient: `gradInput` (N, C, H, W) is overwritten. Requires `directInputGradient`.
func directBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                         _ gradInput: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    let qh = (g.kernelH - 1) * g.dilationH - g.padH, qw = (g.kernelW - 1) * g.dilationW - g.padW
    let hp = oh + 2 * qh, wp = roundUp(w, 16) + (g.kernelW - 1) * g.dilationW
    let padded = padPlanes(gradOutput, planes: g.batch * g.outChannels, h: oh, w: ow, top: qh, left: qw, hp: hp, wp: wp)
    // Flipped kernel with in/out swapped per group: wt[grp][ci][co][i][j] = w[grp·opg + co][ci][kh−1−i][kw−1−j].
    let taps = g.taps, wPerGroup = g.opg * g.cpg * taps
    let flipped = ColumnBuffer(count: g.groups * wPerGroup)
    for grp in 0..<g.groups {
        let src = weight + grp * wPerGroup, dst = flipped.pointer + grp * wPerGroup
        for co in 0..<g.opg {
            for ci in 0..<g.cpg {
                let s = src + (co * g.cpg + ci) * taps, d = dst + (ci * g.opg + co) * taps
                for t in 0..<taps { d[taps - 1 - t] = s[t] }
            }
        }
    }
    forImageChannelRanges(batch: g.batch, g.inChannels, perGroup: g.cpg) { n, grp, ci0, ci1 in
        azoo_conv2d_s1(padded.pointer + (n * g.outChannels + grp * g.opg) * hp * wp, g.opg, hp, wp,
                       flipped.pointer + grp * wPerGroup, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                       nil, gradInput + (n * g.inChannels + grp * g.cpg) * h * w, h, w, ci0, ci1)
    }
}

/// Weight gradient: `gradWeight` (O, C/groups, kH, kW) is overwritten.
func directBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                          _ gradWeight: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let gwp = roundUp(ow, 8)
    let hp = g.height + 2 * g.padH, wp = roundUp(ow, 16) + (g.kernelW - 1) * g.dilationW
    let padded = padPlanes(input, planes: g.batch * g.inChannels, h: g.height, w: g.width, top: g.padH, left: g.padW, hp: hp, wp: wp)
    let gpad = padPlanes(gradOutput, planes: g.batch * g.outChannels, h: oh, w: ow, top: 0, left: 0, hp: oh, wp: gwp)
    let wPerGroup = g.opg * g.cpg * g.taps
    gradWeight.update(repeating: 0, count: g.groups * wPerGroup)
    forChannelRanges(g.outChannels, perGroup: g.opg) { grp, co0, co1 in
        for n in 0..<g.batch {
            azoo_conv2d_s1_wgrad(padded.pointer + (n * g.inChannels + grp * g.cpg) * hp * wp, g.cpg, hp, wp,
                                 gpad.pointer + (n * g.outChannels + grp * g.opg) * oh * gwp, gwp, oh, ow,
                                 g.kernelH, g.kernelW, g.dilationH, g.dilationW, gradWeight + grp * wPerGroup, co0, co1)
        }
    }
}
