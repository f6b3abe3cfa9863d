import Kernels

/// SyncBatchNorm (torch's `nn.SyncBatchNorm`): when `allreduce` is set, every training-mode
/// `batchNorm` takes its statistics over the global batch of all processes — the per-channel sums
/// of the forward (count, Σx, then Σ(x − μ)²) and of the backward (Σĝ, Σĝx̂) are summed over the
/// processes by `allreduce` (in place, `count` doubles), so N processes with B images each
/// normalise as one process with N·B. Every process must run the same sequence of batch norms.
/// Set by the training loop for `--sync-bn` under MPI; nil (the default): per-process statistics.
public enum BatchNormSync {
    nonisolated(unsafe) public static var allreduce: ((UnsafeMutablePointer<Double>, Int) -> Void)?

    static func sum(_ values: inout [Double]) {
        guard let allreduce else { return }
        values.withUnsafeMutableBufferPointer { allreduce($0.baseAddress!, $0.count) }
    }
}

/// Fused normalisation primitives. Statistics in Double; biased variance for normalising.
///
/// All three share one layout: the input is `outer × C × inner` and statistics are taken per
/// "group" of elements; a channel `c` owns the affine weight `w[c]`, `b[c]`.
extension Tensor {
    /// Batch normalisation over (N, C, *). In training the batch statistics normalise and the
    /// running buffers (when given) are updated in place: `new = (1−m)·old + m·batch`, with the
    /// unbiased variance for `runningVar`. In eval the running statistics normalise.
    /// `relu`: `relu(batchNorm(x))` as one op, the same numbers as the two steps. It writes one
    /// tensor instead of two (the pre-ReLU one is not kept for the backward), and its backward
    /// finds ReLU's mask by recomputing the normalised value from x, with the forward's arithmetic,
    /// inside the norm's own two passes, instead of a separate pass over g.
    /// `residual`: `batchNorm(x) + residual` (then ReLU), a ResNet block's last norm, shortcut sum and
    /// ReLU as one op (the same numbers as `batchNorm(x).addingReLU(residual)`): the norm's output is
    /// neither written nor kept; the pullback masks g by [y > 0] once and hands it to the residual.
    public func batchNorm(runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
                          training: Bool, momentum: Float = 0.1, eps: Float = 1e-5, residual: Tensor? = nil,
                          relu: Bool = false) -> Tensor {
        checkShape(rank >= 2, "batch_norm: input \(shape) needs shape (N, C, ...)")
        let n = shape[0], c = shape[1], inner = shapeCount(Array(shape[2...]))
        for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
            if let t { checkShape(t.count == c, "batch_norm: \(name) of shape \(t.shape) does not match \(c) channels of input \(shape)") }
        }
        if let residual { checkShape(residual.shape == shape, "batch_norm: residual \(residual.shape) differs from input \(shape)") }
        var m = n * inner
        var mean = [Double](repeating: 0, count: c), invStd = [Double](repeating: 0, count: c)
        let x = data
        // Per channel over the batch: Σx, and (Σ(x − μ_f)², Σx − μ_f·count) around the rounded mean μ_f.
        @inline(__always) func channelSum(_ ch: Int) -> Double {
            var s = 0.0
            for b in 0..<n { s += blockedSum(x + (b * c + ch) * inner, count: inner) }
            return s
        }
        @inline(__always) func channelDeviations(_ ch: Int, _ muF: Float) -> (Double, Double) {
            var v = 0.0, drift = 0.0
            for b in 0..<n {
                let (sx, sd) = sumAndSquaredDeviation(x + (b * c + ch) * inner, count: inner, shift: muF)
                v += sd; drift += sx - Double(muF) * Double(inner)
            }
            return (v, drift)
        }
        // Σ(x − μ)² from deviations around the rounded μ: subtract the rounding's share (biased variance for now).
        @inline(__always) func variance(_ v: Double, _ drift: Double) -> Double { let e = drift / Double(m); return Swift.max(0, v / Double(m) - e * e) }
        let sync = training && BatchNormSync.allreduce != nil
        if sync {
            // Global statistics: Σx and the count summed over the processes, then the deviations.
            var sums = [Double](repeating: 0, count: c + 1)
            sums.withUnsafeMutableBufferPointer { sp in
                Threading.parallelFor(c) { range in for ch in range { sp[ch] = channelSum(ch) } }
            }
            sums[c] = Double(m)
            BatchNormSync.sum(&sums)
            m = Int(sums[c])
            checkShape(m > 1, "batch_norm: expected more than 1 value per channel when training, got input \(shape)")
            for ch in 0..<c { mean[ch] = sums[ch] / Double(m) }
            var deviations = [Double](repeating: 0, count: 2 * c)
            deviations.withUnsafeMutableBufferPointer { dp in
                Threading.parallelFor(c) { range in
                    for ch in range { (dp[ch], dp[c + ch]) = channelDeviations(ch, Float(mean[ch])) }
                }
            }
            BatchNormSync.sum(&deviations)
            for ch in 0..<c { invStd[ch] = variance(deviations[ch], deviations[c + ch]) }
        } else if training {
            // Both passes per channel while its values are in cache (no cancellation: the mean first).
            checkShape(m > 1, "batch_norm: expected more than 1 value per channel when training, got input \(shape)")
            mean.withUnsafeMutableBufferPointer { meanP in invStd.withUnsafeMutableBufferPointer { varP in
                Threading.parallelFor(c) { range in
                    for ch in range {
                        let mu = channelSum(ch) / Double(m)
                        let (v, drift) = channelDeviations(ch, Float(mu))
                        meanP[ch] = mu
                        varP[ch] = variance(v, drift)
                    }
                }
            } }
        }
        if training {
            for ch in 0..<c {
                let biased = invStd[ch]
                if let rm = runningMean { rm.data[ch] = Float((1 - Double(momentum)) * Double(rm.data[ch]) + Double(momentum) * mean[ch]) }
                if let rv = runningVar {
                    let unbiased = biased * Double(m) / Double(m - 1)
                    rv.data[ch] = Float((1 - Double(momentum)) * Double(rv.data[ch]) + Double(momentum) * unbiased)
                }
                invStd[ch] = 1 / (biased + Double(eps)).squareRoot()
            }
        } else {
            checkShape(runningMean != nil && runningVar != nil, "batch_norm: eval mode needs running statistics")
            for ch in 0..<c {
                mean[ch] = Double(runningMean!.data[ch])
                invStd[ch] = 1 / (Double(runningVar!.data[ch]) + Double(eps)).squareRoot()
            }
        }
        return normalizeAffine(self, outer: n, channels: c, groups: c, inner: inner, mean: mean, invStd: invStd,
                               weight: weight, bias: bias, statsDependOnInput: training,
                               op: "batch_norm" + (residual == nil ? "" : "_add") + (relu ? "_relu" : ""),
                               globalCount: sync ? m : nil, residual: residual, relu: relu)
    }

    /// Group normalisation over (N, C, *) with `groups` groups of C/groups channels.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        checkShape(rank >= 2, "group_norm: input \(shape) needs shape (N, C, ...)")
        let n = shape[0], c = shape[1], inner = shapeCount(Array(shape[2...]))
        checkShape(groups > 0 && c % groups == 0, "group_norm: \(c) channels of input \(shape) are not divisible into \(groups) groups")
        if let weight { checkShape(weight.count == c, "group_norm: weight \(weight.shape) does not match \(c) channels of input \(shape)") }
        if let bias { checkShape(bias.count == c, "group_norm: bias \(bias.shape) does not match \(c) channels of input \(shape)") }
        let (mean, invStd) = rowStatistics(rows: n * groups, length: c / groups * inner, eps: eps)
        return normalizeAffine(self, outer: n, channels: c, groups: groups, inner: inner, mean: mean, invStd: invStd,
                               weight: weight, bias: bias, statsDependOnInput: true, op: "group_norm")
    }

    /// Layer normalisation over the trailing `normalizedShape` axes, with element-wise affine.
    public func layerNorm(normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        checkShape(normalizedShape.count <= rank && Array(shape.suffix(normalizedShape.count)) == normalizedShape,
                   "layer_norm: normalized shape \(normalizedShape) does not end input \(shape)")
        let d = shapeCount(normalizedShape), rows = count / Swift.max(d, 1)
        if let weight { checkShape(weight.count == d, "layer_norm: weight \(weight.shape) does not match \(normalizedShape)") }
        if let bias { checkShape(bias.count == d, "layer_norm: bias \(bias.shape) does not match \(normalizedShape)") }
        let (mean, invStd) = rowStatistics(rows: rows, length: d, eps: eps)
        // Layout: outer = rows, one group per row, "channels" = the d positions with inner 1.
        return normalizeAffine(self, outer: rows, channels: d, groups: 1, inner: 1, mean: mean, invStd: invStd,
                               weight: weight, bias: bias, statsDependOnInput: true, op: "layer_norm")
    }

    /// Mean and 1/√(biased var + eps) of each contiguous row.
    func rowStatistics(rows: Int, length: Int, eps: Float) -> ([Double], [Double]) {
        var mean = [Double](repeating: 0, count: rows), invStd = [Double](repeating: 0, count: rows)
        let x = data
        mean.withUnsafeMutableBufferPointer { mp in
            invStd.withUnsafeMutableBufferPointer { ip in
                Threading.parallelFor(rows) { range in
                    for r in range {
                        let p = x + r * length
                        var s = 0.0
                        for i in 0..<length { s += Double(p[i]) }
                        let mu = s / Double(length)
                        var v = 0.0
                        for i in 0..<length { let d = Double(p[i]) - mu; v += d * d }
                        mp[r] = mu
                        ip[r] = 1 / (v / Double(length) + Double(eps)).squareRoot()
                    }
                }
            }
        }
        return (mean, invStd)
    }
}

/// y = (x − μ)·invStd·w[c] + b[c] for input `outer × channels × inner`, statistics indexed by
/// `outer·groups + c / (channels/groups)` (BatchNorm passes its per-channel stats with
/// outer folded in; see `statIndex`). The pullback covers input, weight and bias; when the
/// statistics came from the input it includes their dependence:
/// dx = invStd/M · (M·ĝ − Σĝ − x̂·Σ ĝx̂), ĝ = g·w, sums over each statistic's group.
/// `residual`: y = … + residual (same shape as the input). `relu`: y = relu(…); without a residual
/// the pullback masks g by [y > 0] with y recomputed from x (below), with one it masks g once from
/// the output and hands the masked g to the residual too.
func normalizeAffine(_ input: Tensor, outer: Int, channels: Int, groups: Int, inner: Int,
                     mean: [Double], invStd: [Double], weight: Tensor?, bias: Tensor?,
                     statsDependOnInput: Bool, op: String, globalCount: Int? = nil, residual: Tensor? = nil,
                     relu: Bool = false) -> Tensor {
    let perBatchStats = mean.count == channels && groups == channels && op.hasPrefix("batch_norm")
    let cpg = channels / groups
    @inline(__always) func statIndex(_ o: Int, _ ch: Int) -> Int { perBatchStats ? ch : o * groups + ch / cpg }
    let out = Tensor(uninitializedShape: input.shape)
    let x = input.data, y = out.data, r = residual?.data
    let w = weight?.data, b = bias?.data
    let maskFromX = relu && residual == nil
    // The Float affine of row (o, ch): the forward's values, and the pullback's ReLU mask from them.
    @inline(__always) func affine(_ o: Int, _ ch: Int) -> (scale: Float, shift: Float) {
        let s = statIndex(o, ch)
        let mu = Float(mean[s]), inv = Float(invStd[s])
        let scale = inv * (w?[ch] ?? 1)
        return (scale, (b?[ch] ?? 0) - mu * scale)
    }
    Threading.parallelFor(outer * channels, minChunk: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
        for oc in range {
            let (scale, shift) = affine(oc / channels, oc % channels)
            let px = x + oc * inner, py = y + oc * inner
            if let r {
                // (x·scale + shift) + residual, rounded as the norm's output and then the sum.
                let pr = r + oc * inner
                if relu {
                    for i in 0..<inner { let v = px[i] * scale + shift + pr[i]; py[i] = v > 0 || v != v ? v : 0 }
                } else {
                    for i in 0..<inner { py[i] = px[i] * scale + shift + pr[i] }
                }
            } else if relu {
                for i in 0..<inner { let v = px[i] * scale + shift; py[i] = v > 0 || v != v ? v : 0 }
            } else {
                for i in 0..<inner { py[i] = px[i] * scale + shift }
            }
        }
    }
    var inputs = [input]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    if let residual { inputs.append(residual) }
    // The pullback holds only whether there is a residual that wants a gradient, not the residual
    // (a downsample branch's output, which it would keep alive until the backward: 48 MB in resnet50).
    let hasResidual = residual != nil, residualWantsGrad = residual?.requiresGrad ?? false
    return Tensor.differentiable(op, inputs: inputs, output: out) { gOut in
        // With a residual and ReLU: g masked by [y > 0] once (ReLU's own backward), for both inputs.
        var g = gOut
        if hasResidual, relu {
            let masked = Tensor(uninitializedShape: out.shape)
            VectorMath.reluBackward(gOut.data, out.data, masked.data, count: out.count)
            g = masked
        }
        let gp = g.data
        let statCount = mean.count
        // Per statistic: Σĝ and Σĝx̂; per channel: Σg·x̂ (weight grad) and Σg (bias grad). Needed only
        // when the statistics came from the input or the affine weights want gradients (not for a
        // frozen eval-mode norm). Partial sums per (outer, channel) row in parallel, then reduced.
        var sumG = [Double](repeating: 0, count: statCount), sumGX = [Double](repeating: 0, count: statCount)
        var chGX = [Double](repeating: 0, count: channels), chG = [Double](repeating: 0, count: channels)
        if statsDependOnInput || (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false) {
            let rows = outer * channels
            var rowG = [Double](repeating: 0, count: rows), rowGX = [Double](repeating: 0, count: rows)
            rowG.withUnsafeMutableBufferPointer { rg in rowGX.withUnsafeMutableBufferPointer { rgx in
                Threading.parallelFor(rows, minChunk: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
                    for oc in range {
                        let o = oc / channels, ch = oc % channels
                        let s = statIndex(o, ch)
                        let mu = mean[s], inv = invStd[s], muF = Float(mu)
                        // Σg and Σg·x̂ = inv·(Σg·(x − μ_f) − (μ − μ_f)·Σg)
                        let (sg, sgc) = maskFromX
                            ? maskedSumAndCenteredDot(gp + oc * inner, x + oc * inner, count: inner, shift: muF, affine: affine(o, ch))
                            : sumAndCenteredDot(gp + oc * inner, x + oc * inner, count: inner, shift: muF)
                        rg[oc] = sg; rgx[oc] = inv * (sgc - (mu - Double(muF)) * sg)
                    }
                }
            } }
            for o in 0..<outer {
                for ch in 0..<channels {
                    let s = statIndex(o, ch), wc = Double(w?[ch] ?? 1), sg = rowG[o * channels + ch], sgx = rowGX[o * channels + ch]
                    chG[ch] += sg; chGX[ch] += sgx
                    sumG[s] += sg * wc; sumGX[s] += sgx * wc
                }
            }
        }
        // SyncBatchNorm: the statistics' sums over every process's part of the batch.
        if globalCount != nil, statsDependOnInput {
            var both = sumG + sumGX
            BatchNormSync.sum(&both)
            sumG = Array(both[..<statCount]); sumGX = Array(both[statCount...])
        }
        var result: [Tensor?] = []
        if input.requiresGrad {
            let gx = Tensor(uninitializedShape: input.shape)
            let dx = gx.data
            let groupSize = Double(globalCount ?? (perBatchStats ? outer * inner : cpg * inner))
            Threading.parallelFor(outer * channels, minChunk: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
                for oc in range {
                    let o = oc / channels, ch = oc % channels
                    let s = statIndex(o, ch)
                    let mu = mean[s], inv = invStd[s], wc = Double(w?[ch] ?? 1)
                    let px = x + oc * inner, pg = gp + oc * inner, pd = dx + oc * inner
                    let (scale, shift) = affine(o, ch)
                    if statsDependOnInput {
                        let a = sumG[s] / groupSize, bq = sumGX[s] / groupSize
                        if maskFromX {
                            for i in 0..<inner {
                                let xh = (Double(px[i]) - mu) * inv
                                // Both loads unconditional: a conditional read compiles to a masked load (slow here).
                                let gv = pg[i], gi: Float = px[i] * scale + shift > 0 ? gv : 0
                                pd[i] = Float(inv * (Double(gi) * wc - a - xh * bq))
                            }
                        } else {
                            for i in 0..<inner {
                                let xh = (Double(px[i]) - mu) * inv
                                pd[i] = Float(inv * (Double(pg[i]) * wc - a - xh * bq))
                            }
                        }
                    } else {
                        let k = Float(inv * wc)
                        if maskFromX {
                            for i in 0..<inner { let gk = pg[i] * k; pd[i] = px[i] * scale + shift > 0 ? gk : 0 }
                        } else {
                            for i in 0..<inner { pd[i] = pg[i] * k }
                        }
                    }
                }
            }
            result.append(gx)
        } else {
            result.append(nil)
        }
        if let weight { result.append(weight.requiresGrad ? Tensor(chGX.map { Float($0) }, shape: weight.shape) : nil) }
        if let bias { result.append(bias.requiresGrad ? Tensor(chG.map { Float($0) }, shape: bias.shape) : nil) }
        if hasResidual { result.append(residualWantsGrad ? g : nil) }
        return result
    }
}

extension Tensor {
    /// `relu(x · scale[c] + shift[c])` over (N, C, *) in one pass, differentiable in `x` only: a
    /// frozen or eval-mode norm (constant per-channel affine) followed by ReLU, as ResNet blocks
    /// and torchvision's FrozenBatchNorm2d backbones run it.
    /// d x = [y > 0] · g · scale[c]
    public func channelAffineReLU(scale: [Float], shift: [Float]) -> Tensor {
        checkShape(rank >= 2 && scale.count == shape[1] && shift.count == shape[1],
                   "channel_affine_relu: input \(shape) needs \(shape.count >= 2 ? shape[1] : 0) scales and shifts, got \(scale.count), \(shift.count)")
        let c = shape[1], inner = shapeCount(Array(shape[2...])), rows = shape[0] * c
        let out = Tensor(uninitializedShape: shape)
        let x = data, y = out.data
        Threading.parallelFor(rows, minChunk: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
            for row in range {
                let s = scale[row % c], t = shift[row % c], px = x + row * inner, py = y + row * inner
                for i in 0..<inner {
                    let v = px[i] * s + t
                    py[i] = v > 0 || v != v ? v : 0
                }
            }
        }
        return Tensor.differentiable("channel_affine_relu", inputs: [self], output: out) { g in
            let dx = Tensor(uninitializedShape: out.shape)
            let gp = g.data, dp = dx.data
            Threading.parallelFor(rows, minChunk: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
                for row in range {
                    let s = scale[row % c], po = y + row * inner, pg = gp + row * inner, pd = dp + row * inner
                    for i in 0..<inner { let gs = pg[i] * s; pd[i] = po[i] > 0 ? gs : 0 }  // unconditional load
                }
            }
            return [dx]
        }
    }
}
