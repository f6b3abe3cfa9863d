import CKernels

/// Direct depthwise convolution (one input channel per group; `opg` outputs per channel).
/// Stride 1 (forward, and the input gradient where it is a convolution of the padded output
/// gradient): each plane is zero-padded into a per-worker buffer and `azoo_dwconv2d_s1` keeps
/// every output vector in a register over all taps. Other strides: rows with the tap as the
/// outer loop, so the inner loop is a contiguous axpy.

/// Valid output-column range [lo, hi) for a tap whose input column is ox·s + dx.
@inline(__always)
func validColumns(_ dx: Int, _ stride: Int, _ ow: Int, _ w: Int) -> (Int, Int) {
    let lo = dx >= 0 ? 0 : min(ow, (-dx + stride - 1) / stride)
    let hi = max(lo, min(ow, (w - dx + stride - 1) / stride))
    return (lo, hi)
}

func depthwiseForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                      _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width, opg = g.opg
    if g.strideH == 1 && g.strideW == 1 {
        guard oh > 0 && ow > 0 else { return }
        let hp = h + 2 * g.padH, wp = w + 2 * g.padW, plane = hp * wp + 16
        Threading.parallelFor(g.batch * g.inChannels) { range in
            let padded = ColumnBuffer(count: plane)
            for nc in range {
                let n = nc / g.inChannels, c = nc % g.inChannels
                azoo_pad_planes(input + nc * h * w, 1, h, w, g.padH, g.padW, hp, wp, plane, padded.pointer)
                for m in 0..<opg {
                    let o = c * opg + m
                    azoo_dwconv2d_s1(padded.pointer, wp, weight + o * g.taps, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                                     0, bias?[o] ?? 0, 0, output + (n * g.outChannels + o) * oh * ow, oh, ow)
                }
            }
        }
        return
    }
    Threading.parallelFor(g.batch * g.outChannels) { range in
        for no in range {
            let n = no / g.outChannels, o = no % g.outChannels, c = o / opg
            let plane = input + (n * g.inChannels + c) * h * w
            let dst = output + no * oh * ow
            let wk = weight + o * g.taps
            dst.update(repeating: bias?[o] ?? 0, count: oh * ow)
            for oy in 0..<oh {
                let d = dst + oy * ow
                for i in 0..<g.kernelH {
                    let iy = oy * g.strideH + i * g.dilationH - g.padH
                    if iy < 0 || iy >= h { continue }
                    let row = plane + iy * w
                    for j in 0..<g.kernelW {
                        let dx = j * g.dilationW - g.padW
                        let (lo, hi) = validColumns(dx, g.strideW, ow, w)
                        let wv = wk[i * g.kernelW + j]
                        let s = row + dx
                        if g.strideW == 1 { for ox in lo..<hi { d[ox] += wv * s[ox] } }
                        else { for ox in lo..<hi { d[ox] += wv * s[ox * g.strideW] } }
                    }
                }
            }
        }
    }
}

func depthwiseBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                            _ gradInput: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width, opg = g.opg
    let qh = (g.kernelH - 1) * g.dilationH - g.padH, qw = (g.kernelW - 1) * g.dilationW - g.padW
    if g.strideH == 1 && g.strideW == 1 && qh >= 0 && qw >= 0 && oh > 0 && ow > 0 {
        // dX = the output gradient padded by (k − 1)·d − p, convolved with the flipped kernel.
        let hp = oh + 2 * qh, wp = ow + 2 * qw, plane = hp * wp + 16
        Threading.parallelFor(g.batch * g.inChannels) { range in
            let padded = ColumnBuffer(count: plane)
            for nc in range {
                let n = nc / g.inChannels, c = nc % g.inChannels
                for m in 0..<opg {
                    let o = c * opg + m
                    azoo_pad_planes(gradOutput + (n * g.outChannels + o) * oh * ow, 1, oh, ow, qh, qw, hp, wp, plane, padded.pointer)
                    azoo_dwconv2d_s1(padded.pointer, wp, weight + o * g.taps, g.kernelH, g.kernelW, g.dilationH, g.dilationW,
                                     1, 0, m > 0 ? 1 : 0, gradInput + nc * h * w, h, w)
                }
            }
        }
        return
    }
    // Parallel over input planes: every output channel of a plane is handled by its owner.
    Threading.parallelFor(g.batch * g.inChannels) { range in
        for nc in range {
            let n = nc / g.inChannels, c = nc % g.inChannels
            let plane = gradInput + nc * h * w
            plane.update(repeating: 0, count: h * w)
            for m in 0..<opg {
                let o = c * opg + m
                let src = gradOutput + (n * g.outChannels + o) * oh * ow
                let wk = weight + o * g.taps
                for oy in 0..<oh {
                    let s = src + oy * ow
                    for i in 0..<g.kernelH {
                        let iy = oy * g.strideH + i * g.dilationH - g.padH
                        if iy < 0 || iy >= h { continue }
                        let row = plane + iy * w
                        for j in 0..<g.kernelW {
                            let dx = j * g.dilationW - g.padW
                            let (lo, hi) = validColumns(dx, g.strideW, ow, w)
                            let wv = wk[i * g.kernelW + j]
                            let d = row + dx
                            if g.strideW == 1 { for ox in lo..<hi { d[ox] += wv * s[ox] } }
                            else { for ox in lo..<hi { d[ox * g.strideW] += wv * s[ox] } }
                        }
                    }
                }
            }
        }
    }
}

func depthwiseBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                             _ gradWeight: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width, opg = g.opg
    if g.strideH == 1 && g.strideW == 1 && g.taps <= 64 && oh > 0 && ow > 0 {
        let hp = h + 2 * g.padH, wp = w + 2 * g.padW, plane = hp * wp + 16
        Threading.parallelFor(g.outChannels) { range in
            let padded = ColumnBuffer(count: plane)
            for o in range {
                let c = o / opg, gw = gradWeight + o * g.taps
                gw.update(repeating: 0, count: g.taps)
                for n in 0..<g.batch {
                    azoo_pad_planes(input + (n * g.inChannels + c) * h * w, 1, h, w, g.padH, g.padW, hp, wp, plane, padded.pointer)
                    azoo_dwconv2d_s1_wgrad(padded.pointer, wp, gradOutput + (n * g.outChannels + o) * oh * ow, oh, ow,
                                           g.kernelH, g.kernelW, g.dilationH, g.dilationW, gw)
                }
            }
        }
        return
    }
    Threading.parallelFor(g.outChannels) { range in
        for o in range {
            let c = o / opg
            let gw = gradWeight + o * g.taps
            for t in 0..<g.taps {
                let i = t / g.kernelW, j = t % g.kernelW
                let dx = j * g.dilationW - g.padW
                let (lo, hi) = validColumns(dx, g.strideW, ow, w)
                var acc: Float = 0
                for n in 0..<g.batch {
                    let plane = input + (n * g.inChannels + c) * h * w
                    let src = gradOutput + (n * g.outChannels + o) * oh * ow
                    for oy in 0..<oh {
                        let iy = oy * g.strideH + i * g.dilationH - g.padH
                        if iy < 0 || iy >= h { continue }
                        let s = src + oy * ow, row = plane + iy * w + dx
                        var a = SIMD8<Float>(repeating: 0)
                        var ox = lo
                        if g.strideW == 1 {
                            while ox + 8 <= hi {
                                a += UnsafeRawPointer(s + ox).loadUnaligned(as: SIMD8<Float>.self)
                                   * UnsafeRawPointer(row + ox).loadUnaligned(as: SIMD8<Float>.self)
                                ox += 8
                            }
                        }
                        var r = a.sum()
                        while ox < hi { r += s[ox] * row[ox * g.strideW]; ox += 1 }
                        acc += r
                    }
                }
                gw[t] = acc
            }
        }
    }
}
