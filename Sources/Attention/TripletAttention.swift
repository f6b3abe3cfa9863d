import Kernels
import NN
import TensorCore

/// Triplet Attention (catalogue D32): three rotated views gated by Z-pool + 7×7 conv + BN + σ, averaged.
///
/// Paper: Misra et al., "Rotate to Attend: Convolutional Triplet Attention Module", WACV 2021, https://arxiv.org/abs/2010.03045
/// ```
/// gate(Z) = Z ⊙ σ(BN(conv7×7([max_c Z ‖ mean_c Z])))
/// Y = ⅓ (gate_hw(X) + P₁⁻¹ gate_cw(P₁ X) + P₂⁻¹ gate_hc(P₂ X))   P₁: (N,H,C,W), P₂: (N,W,H,C)
/// no_spatial: Y = ½ (P₁⁻¹ gate_cw(P₁ X) + P₂⁻¹ gate_hc(P₂ X))
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: per gate `cw`, `hc`, `hw` (no `hw` with `no_spatial`): `<g>.conv.conv.weight` (1, 2, 7, 7),
/// `<g>.conv.bn.weight`, `.bias`, `.running_mean`, `.running_var`, `.num_batches_tracked`.
/// Reference: official landskape-ai/triplet-attention `MODELS/triplet_attention.py` (BN momentum 0.01 as there).
/// The rotations are never materialised: Z-pool and the gating are fused primitives on X's own layout.
public final class TripletAttention: Module, @unchecked Sendable {
    /// Conv (no bias) → BN (momentum 0.01) → optional ReLU, the official `BasicConv`.
    public final class BasicConv: Module, @unchecked Sendable {
        public let conv: Conv2d
        public let bn: BatchNorm2d?
        public let relu: ReLU?

        public init(inPlanes: Int, outPlanes: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                    groups: Int = 1, relu: Bool = true, bn: Bool = true, bias: Bool = false) {
            conv = Conv2d(inChannels: inPlanes, outChannels: outPlanes, kernelSize: kernelSize, stride: stride, padding: padding,
                          dilation: dilation, groups: groups, bias: bias)
            self.bn = bn ? BatchNorm2d(numFeatures: outPlanes, eps: 1e-5, momentum: 0.01, affine: true) : nil
            self.relu = relu ? ReLU() : nil
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            var y = conv(x)
            if let bn { y = bn(y) }
            if let relu { y = relu(y) }
            return y
        }
    }

    /// Channel max ‖ channel mean, (N, C, H, W) → (N, 2, H, W).
    public final class ZPool: Module, @unchecked Sendable {
        public override init() { super.init() }
        public override func forward(_ x: Tensor) -> Tensor { x.tripletZPool(axis: 1) }
    }

    /// Z-pool → 7×7 BasicConv (no ReLU) → σ, multiplied onto the input.
    public final class AttentionGate: Module, @unchecked Sendable {
        public let compress = ZPool()
        public let conv = BasicConv(inPlanes: 2, outPlanes: 1, kernelSize: 7, padding: 3, relu: false)
        public override init() { super.init() }
        public override func forward(_ x: Tensor) -> Tensor { x * conv(compress(x)).sigmoid() }
    }

    public let cw = AttentionGate()
    public let hc = AttentionGate()
    public let hw: AttentionGate?
    public let noSpatial: Bool

    public init(noSpatial: Bool = false) {
        self.noSpatial = noSpatial
        hw = noSpatial ? nil : AttentionGate()
        super.init()
    }

    /// Same values as the reference's permute → gate → permute back, without the permuted copies:
    /// each Z-pool reduces its axis of X in place, and one fused pass applies the averaged gates.
    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "TripletAttention: expected a (N, C, H, W) input, got \(x.shape)")
        let sCW = cw.conv(x.tripletZPool(axis: 2)).sigmoid()          // (N, 1, C, W): pooled over H
        let sHC = hc.conv(x.tripletZPool(axis: 3)).sigmoid()          // (N, 1, H, C): pooled over W
        let sHW = hw.map { $0.conv(x.tripletZPool(axis: 1)).sigmoid() } // (N, 1, H, W): pooled over C
        return x.tripletGated(hw: sHW, cw: sCW, hc: sHC)
    }
}

extension Tensor {
    /// Z-pool [max ‖ mean] of (N, C, H, W) over `axis` 1, 2 or 3, laid out as the reference's permuted views give it:
    /// axis 1 → (N, 2, H, W), axis 2 → (N, 2, C, W), axis 3 → (N, 2, H, C).
    /// The max's gradient goes to the first maximal index (as `torch.max(dim)`), the mean's is spread evenly.
    func tripletZPool(axis: Int) -> Tensor {
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let (len, p, q) = axis == 1 ? (c, h, w) : axis == 2 ? (h, c, w) : (w, h, c)
        let out = Tensor(uninitializedShape: [n, 2, p, q])
        var argmax = [Int32](repeating: 0, count: n * p * q)
        let xp = UncheckedPointer(data), op = UncheckedPointer(out.data), inv = 1 / Float(len)
        argmax.withUnsafeMutableBufferPointer { am in
            let ap = UnsafeMutablePointer<Int32>(am.baseAddress!)
            let idx = UncheckedSendable(ap)
            RowKernels.forRows(n, rowLength: c * h * w) { samples in
                for s in samples {
                    let xs = xp.p + s * c * h * w, mx = op.p + s * 2 * p * q, mean = mx + p * q, ix = idx.value + s * p * q
                    switch axis {
                    case 1, 2:
                        // Running max / sum over planes (axis 1) or rows (axis 2), vectorised along the contiguous inner extent.
                        let outer = axis == 1 ? 1 : c, inner = axis == 1 ? h * w : w, step = inner
                        for o in 0..<outer {
                            let base = xs + o * len * inner, m = mx + o * inner, a = mean + o * inner, ii = ix + o * inner
                            for k in 0..<inner { m[k] = base[k]; a[k] = base[k]; ii[k] = 0 }
                            for r in 1..<Swift.max(len, 1) {
                                let row = base + r * step
                                for k in 0..<inner {
                                    let v = row[k]
                                    if v > m[k] { m[k] = v; ii[k] = Int32(r) }
                                    a[k] += v
                                }
                            }
                            for k in 0..<inner { a[k] *= inv }
                        }
                    default:
                        // Reduce each contiguous W row of (c, h) into position (h, c).
                        for ch in 0..<c {
                            for y in 0..<h {
                                let row = xs + (ch * h + y) * w
                                var best = row[0], at = 0, sum8 = SIMD8<Float>(), k = 0
                                while k + 8 <= w { sum8 += SimAM.load(row, k); k += 8 }
                                var sum = sum8.sum()
                                while k < w { sum += row[k]; k += 1 }
                                for j in 1..<Swift.max(w, 1) where row[j] > best { best = row[j]; at = j }
                                mx[y * c + ch] = best
                                mean[y * c + ch] = sum * inv
                                ix[y * c + ch] = Int32(at)
                            }
                        }
                    }
                }
            }
        }
        let x = self, indices = argmax
        return Tensor.differentiable("tripletZPool", inputs: [self], output: out) { g in
            let gx = Tensor(uninitializedShape: x.shape)
            let gp = UncheckedPointer(g.data), gxp = UncheckedPointer(gx.data)
            indices.withUnsafeBufferPointer { ib in
                let ip = UncheckedSendable(ib.baseAddress!)
                RowKernels.forRows(n, rowLength: c * h * w) { samples in
                    for s in samples {
                        let gs = gxp.p + s * c * h * w, gm = gp.p + s * 2 * p * q, ga = gm + p * q, ix = ip.value + s * p * q
                        for ch in 0..<c {
                            for y in 0..<h {
                                let row = gs + (ch * h + y) * w
                                switch axis {
                                case 1:
                                    let off = y * w
                                    for k in 0..<w { row[k] = ga[off + k] * inv + (ix[off + k] == Int32(ch) ? gm[off + k] : 0) }
                                case 2:
                                    let off = ch * w
                                    for k in 0..<w { row[k] = ga[off + k] * inv + (ix[off + k] == Int32(y) ? gm[off + k] : 0) }
                                default:
                                    let at = y * c + ch, mean = ga[at] * inv
                                    for k in 0..<w { row[k] = mean }
                                    row[Int(ix[at])] += gm[at]
                                }
                            }
                        }
                    }
                }
            }
            return [gx]
        }
    }

    /// x ⊙ (s_hw[n,h,w] + s_cw[n,c,w] + s_hc[n,h,c]) / k for the gates of shapes (N,1,H,W), (N,1,C,W), (N,1,H,C)
    /// (k = 3, or 2 without `hw`). Pullback: ∂x = g·S/k and each gate gets Σ g·x/k over its pooled axis.
    func tripletGated(hw sHW: Tensor?, cw sCW: Tensor, hc sHC: Tensor) -> Tensor {
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3], scale: Float = sHW == nil ? 0.5 : 1 / 3
        let out = Tensor(uninitializedShape: shape)
        let xp = UncheckedPointer(data), op = UncheckedPointer(out.data), cwp = UncheckedPointer(sCW.data), hcp = UncheckedPointer(sHC.data)
        let hwp = sHW.map { UncheckedPointer($0.data) }
        RowKernels.forRows(n, rowLength: c * h * w) { samples in
            for s in samples {
                for ch in 0..<c {
                    let b = cwp.p + (s * c + ch) * w
                    for y in 0..<h {
                        let off = ((s * c + ch) * h + y) * w, xr = xp.p + off, o = op.p + off, cc = hcp.p[(s * h + y) * c + ch]
                        if let hwp {
                            let a = hwp.p + (s * h + y) * w
                            for k in 0..<w { o[k] = xr[k] * ((a[k] + b[k] + cc) * scale) }
                        } else {
                            for k in 0..<w { o[k] = xr[k] * ((b[k] + cc) * scale) }
                        }
                    }
                }
            }
        }
        let x = self
        let inputs = [self, sCW, sHC] + (sHW.map { [$0] } ?? [])
        return Tensor.differentiable("tripletGated", inputs: inputs, output: out) { g in
            let gx = Tensor(uninitializedShape: x.shape), gcw = Tensor.zeros(sCW.shape), ghc = Tensor(uninitializedShape: sHC.shape)
            let ghw = sHW.map { Tensor.zeros($0.shape) }
            let gp = UncheckedPointer(g.data), xq = UncheckedPointer(x.data), gxp = UncheckedPointer(gx.data)
            let gcwp = UncheckedPointer(gcw.data), ghcp = UncheckedPointer(ghc.data), ghwp = ghw.map { UncheckedPointer($0.data) }
            let cwq = UncheckedPointer(sCW.data), hcq = UncheckedPointer(sHC.data), hwq = sHW.map { UncheckedPointer($0.data) }
            RowKernels.forRows(n, rowLength: c * h * w) { samples in
                for s in samples {
                    for ch in 0..<c {
                        let b = cwq.p + (s * c + ch) * w, gb = gcwp.p + (s * c + ch) * w
                        for y in 0..<h {
                            let off = ((s * c + ch) * h + y) * w, xr = xq.p + off, gr = gp.p + off, gxr = gxp.p + off
                            let at = (s * h + y) * c + ch, cc = hcq.p[at]
                            var sum: Float = 0
                            if let hwq, let ghwp {
                                let a = hwq.p + (s * h + y) * w, ga = ghwp.p + (s * h + y) * w
                                for k in 0..<w {
                                    let pk = gr[k] * xr[k] * scale
                                    gxr[k] = gr[k] * ((a[k] + b[k] + cc) * scale)
                                    ga[k] += pk
                                    gb[k] += pk
                                    sum += pk
                                }
                            } else {
                                for k in 0..<w {
                                    let pk = gr[k] * xr[k] * scale
                                    gxr[k] = gr[k] * ((b[k] + cc) * scale)
                                    gb[k] += pk
                                    sum += pk
                                }
                            }
                            ghcp.p[at] = sum
                        }
                    }
                }
            }
            return [gx, gcw, ghc] + (ghw.map { [$0] } ?? [])
        }
    }
}
