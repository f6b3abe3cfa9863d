import Kernels

/// Modulated deformable convolution (DCN v2), as `torchvision.ops.deform_conv2d`.
extension Tensor {
    /// Deformable 2-D convolution of input (N, C, H, W) with weight (O, C/groups, kH, kW).
    /// `offset` is (N, 2·G·kH·kW, Ho, Wo) holding (dy, dx) per kernel tap and offset group G;
    /// `mask` (optional, DCN v2) is (N, G·kH·kW, Ho, Wo).
    /// Samples outside the input (offsets may point anywhere) read zeros.
    public func deformConv2d(offset: Tensor, weight: Tensor, bias: Tensor? = nil, mask: Tensor? = nil,
                             stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                             dilation: (Int, Int) = (1, 1)) -> Tensor {
        checkShape(rank == 4 && weight.rank == 4, "deform_conv2d: input \(shape) and weight \(weight.shape) must be 4-D")
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3], k = kh * kw
        checkShape(weight.shape[1] > 0 && c % weight.shape[1] == 0, "deform_conv2d: weight \(weight.shape) does not divide input channels of \(shape)")
        let groups = c / weight.shape[1]
        checkShape(o % groups == 0, "deform_conv2d: \(o) output channels not divisible by groups \(groups)")
        let ho = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1
        let wo = (w + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1
        checkShape(ho > 0 && wo > 0, "deform_conv2d: input \(shape) too small for weight \(weight.shape)")
        checkShape(offset.rank == 4 && offset.shape[0] == n && offset.shape[2] == ho && offset.shape[3] == wo
                   && offset.shape[1] % (2 * k) == 0 && offset.shape[1] > 0,
                   "deform_conv2d: offset \(offset.shape) is not (N, 2·G·\(kh)·\(kw), \(ho), \(wo)) for input \(shape)")
        let og = offset.shape[1] / (2 * k)
        checkShape(c % og == 0, "deform_conv2d: \(c) channels not divisible by \(og) offset groups")
        if let mask {
            checkShape(mask.shape == [n, og * k, ho, wo], "deform_conv2d: mask \(mask.shape) is not [\(n), \(og * k), \(ho), \(wo)]")
        }
        if let bias { checkShape(bias.count == o, "deform_conv2d: bias \(bias.shape) does not match \(o) output channels") }
        let p = ho * wo, cpg = c / groups, opg = o / groups
        let geo = DeformGeometry(c: c, h: w == 0 ? 0 : h, w: w, kh: kh, kw: kw, ho: ho, wo: wo, og: og,
                                 sh: stride.0, sw: stride.1, ph: padding.0, pw: padding.1, dh: dilation.0, dw: dilation.1)
        let out = Tensor(uninitializedShape: [n, o, ho, wo])
        MACCounter.record(out.count * cpg * k)
        let cols = Tensor(uninitializedShape: [n, c * k, p])
        let x = data, off = offset.data, m = mask?.data
        for b in 0..<n {
            let col = cols.data + b * c * k * p
            geo.im2col(x + b * c * h * w, off + b * 2 * og * k * p, m.map { $0 + b * og * k * p }, col)
            for g in 0..<groups {
                sgemm(transA: false, transB: false, m: opg, n: p, k: cpg * k, alpha: 1,
                      a: weight.data + g * opg * cpg * k, lda: cpg * k, b: col + g * cpg * k * p, ldb: p,
                      beta: 0, c: out.data + (b * o + g * opg) * p, ldc: p)
            }
            if let bias { for oc in 0..<o { let d = out.data + (b * o + oc) * p; let v = bias.data[oc]; for q in 0..<p { d[q] += v } } }
        }
        var inputs = [self, offset, weight]
        if let mask { inputs.append(mask) }
        if let bias { inputs.append(bias) }
        let input = self
        return Tensor.differentiable("deform_conv2d", inputs: inputs, output: out) { grad in
            let gp = grad.data
            let gradCols = Tensor(uninitializedShape: [c * k, p])
            let gi = input.requiresGrad ? Tensor.zeros(input.shape) : nil
            let goff = offset.requiresGrad ? Tensor.zeros(offset.shape) : nil
            let gm = (mask?.requiresGrad ?? false) ? Tensor.zeros(mask!.shape) : nil
            let gw = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
            for b in 0..<n {
                let col = cols.data + b * c * k * p
                if let gw {
                    // dW_g += G_g · colsᵀ
                    for g in 0..<groups {
                        sgemm(transA: false, transB: true, m: opg, n: cpg * k, k: p, alpha: 1,
                              a: gp + (b * o + g * opg) * p, lda: p, b: col + g * cpg * k * p, ldb: p,
                              beta: 1, c: gw.data + g * opg * cpg * k, ldc: cpg * k)
                    }
                }
                guard gi != nil || goff != nil || gm != nil else { continue }
                // dcols_g = W_gᵀ · G_g
                for g in 0..<groups {
                    sgemm(transA: true, transB: false, m: cpg * k, n: p, k: opg, alpha: 1,
                          a: weight.data + g * opg * cpg * k, lda: cpg * k, b: gp + (b * o + g * opg) * p, ldb: p,
                          beta: 0, c: gradCols.data + g * cpg * k * p, ldc: p)
                }
                geo.col2im(gradCols.data, x + b * c * h * w, off + b * 2 * og * k * p, m.map { $0 + b * og * k * p },
                           gradInput: gi.map { $0.data + b * c * h * w },
                           gradOffset: goff.map { $0.data + b * 2 * og * k * p },
                           gradMask: gm.map { $0.data + b * og * k * p })
            }
            var result: [Tensor?] = [gi, goff, gw]
            if mask != nil { result.append(gm) }
            if let bias { result.append(bias.requiresGrad ? grad.sum(axes: [0, 2, 3]).reshapedRaw(bias.shape) : nil) }
            return result
        }
    }
}

/// Geometry and the sampling loops of deformable convolution.
struct DeformGeometry {
    let c, h, w, kh, kw, ho, wo, og, sh, sw, ph, pw, dh, dw: Int

    /// Sampling position of tap (i, j) at output (oy, ox) with offsets `dy`, `dx`.
    @inline(__always) func position(_ i: Int, _ j: Int, _ oy: Int, _ ox: Int, _ dy: Float, _ dx: Float) -> (Float, Float) {
        (Float(oy * sh - ph + i * dh) + dy, Float(ox * sw - pw + j * dw) + dx)
    }

    /// Zero-padded bilinear sample, as torchvision's deform kernels.
    @inline(__always) func sample(_ plane: UnsafePointer<Float>, _ y: Float, _ x: Float) -> Float {
        bilinearSample(plane, h, w, y, x)
    }

    /// Columns (C·k, P): masked samples per channel and tap.
    func im2col(_ x: UnsafePointer<Float>, _ off: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?, _ col: UnsafeMutablePointer<Float>) {
        let k = kh * kw, p = ho * wo, cpo = c / og
        Threading.parallelFor(c) { range in
            for ch in range {
                let g = ch / cpo
                let plane = x + ch * h * w
                for i in 0..<kh { for j in 0..<kw {
                    let t = i * kw + j
                    let oy = off + (g * 2 * k + 2 * t) * p, ox = oy + p
                    let mk = mask.map { $0 + (g * k + t) * p }
                    let dst = col + (ch * k + t) * p
                    for q in 0..<p {
                        let (y, xx) = position(i, j, q / wo, q % wo, oy[q], ox[q])
                        let v = sample(plane, y, xx)
                        dst[q] = mk.map { v * $0[q] } ?? v
                    }
                } }
            }
        }
    }

    /// Input, offset and mask gradients from column gradients (C·k, P).
    func col2im(_ gcol: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ off: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?,
                gradInput: UnsafeMutablePointer<Float>?, gradOffset: UnsafeMutablePointer<Float>?, gradMask: UnsafeMutablePointer<Float>?) {
        let k = kh * kw, p = ho * wo, cpo = c / og
        if let gradInput {
            // Channels own disjoint planes: parallel over channels.
            Threading.parallelFor(c) { range in
                for ch in range {
                    let g = ch / cpo
                    let plane = gradInput + ch * h * w
                    for t in 0..<k {
                        let i = t / kw, j = t % kw
                        let oy = off + (g * 2 * k + 2 * t) * p, ox = oy + p
                        let mk = mask.map { $0 + (g * k + t) * p }
                        let src = gcol + (ch * k + t) * p
                        for q in 0..<p {
                            let (y, xx) = position(i, j, q / wo, q % wo, oy[q], ox[q])
                            let gv = mk.map { src[q] * $0[q] } ?? src[q]
                            if gv != 0 { bilinearScatter(plane, h, w, y, xx, gv) }
                        }
                    }
                }
            }
        }
        guard gradOffset != nil || gradMask != nil else { return }
        // Offset and mask gradients sum over the channels of an offset group: parallel over taps.
        Threading.parallelFor(og * k) { range in
            for gt in range {
                let g = gt / k, t = gt % k, i = t / kw, j = t % kw
                let oy = off + (g * 2 * k + 2 * t) * p, ox = oy + p
                let mk = mask.map { $0 + (g * k + t) * p }
                for q in 0..<p {
                    let (y, xx) = position(i, j, q / wo, q % wo, oy[q], ox[q])
                    var sy: Float = 0, sx: Float = 0, sm: Float = 0
                    let inside = y > -1 && y < Float(h) && xx > -1 && xx < Float(w)
                    for ch in (g * cpo)..<((g + 1) * cpo) {
                        let gv = gcol[(ch * k + t) * p + q]
                        if gv == 0 { continue }
                        let plane = x + ch * h * w
                        if gradMask != nil { sm += gv * sample(plane, y, xx) }
                        if inside {
                            let (dy, dx) = bilinearGradient(plane, h, w, y, xx)
                            sy += gv * dy; sx += gv * dx
                        }
                    }
                    let mv = mk?[q] ?? 1
                    if let gradOffset {
                        gradOffset[(g * 2 * k + 2 * t) * p + q] = sy * mv
                        gradOffset[(g * 2 * k + 2 * t + 1) * p + q] = sx * mv
                    }
                    if let gradMask { gradMask[(g * k + t) * p + q] = sm }
                }
            }
        }
    }
}
