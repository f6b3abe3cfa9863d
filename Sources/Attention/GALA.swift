import Kernels
import NN
import TensorCore

/// Global-and-local attention, GALA (catalogue D37): an SE channel vector and a 1×1-conv spatial map
/// fused additively and multiplicatively under a tanh.
///
/// Paper: Linsley, Shiebler, Eberhardt, Serre, "Learning what and where to attend", ICLR 2019,
/// https://arxiv.org/abs/1805.08819
/// ```
/// g = W₂ ReLU(W₁ GAP(X) + b₁) + b₂                      (N, C)      global ("what")
/// l = conv₂(ReLU(conv₁(X)))                             (N, 1, H, W) local ("where")
/// Y = X ⊙ tanh(a ⊙ (g + l) + m ⊙ (g ⊙ l))               a, m ∈ ℝ^C, broadcast over N, H, W
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `a` (C), `m` (C), `fc.0.weight` (C/r, C), `fc.0.bias`, `fc.2.weight` (C, C/r), `fc.2.bias`,
/// `local.0.weight` (C/r, C, 1, 1), `local.0.bias`, `local.2.weight` (1, C/r, 1, 1), `local.2.bias`.
/// Reference: the paper's equations (section 3; channel-wise a, m as in its "GALA" module description);
/// the official code (serre-lab, TensorFlow) could not be reached, so `scripts/fixtures/zoo_seed003C.py` `GALA`
/// is our PyTorch transcription of the equations, with SE-style names (`fc`, as External-Attention-pytorch's SE).
/// Deviation: a and m are initialised to 1 (the paper does not state their initialisation); the
/// MLPs carry biases; the local path's hidden width is C/r with the same r as the global path.
/// The gate `tanh(α + β·l)` with α = a·g, β = a + m·g is one fused differentiable primitive.
public final class GALA: Module, @unchecked Sendable {
    public let a: Parameter
    public let m: Parameter
    public let avgPool = AdaptiveAvgPool2d(1)
    public let fc: Sequential
    public let local: Sequential

    public init(channel: Int = 512, reduction: Int = 16) {
        let hidden = channel / reduction
        a = Parameter(Tensor.ones([channel]))
        m = Parameter(Tensor.ones([channel]))
        fc = Sequential(Linear(inFeatures: channel, outFeatures: hidden), ReLU(inplace: true), Linear(inFeatures: hidden, outFeatures: channel))
        local = Sequential(Conv2d(inChannels: channel, outChannels: hidden, kernelSize: 1), ReLU(inplace: true),
                           Conv2d(inChannels: hidden, outChannels: 1, kernelSize: 1))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "GALA: expected a (N, C, H, W) input, got \(x.shape)")
        let b = x.shape[0], c = x.shape[1]
        let g = fc(avgPool(x).reshaped(b, c))                  // (N, C)
        let l = local(x)                                       // (N, 1, H, W)
        let av = a.value.reshaped(1, c), mv = m.value.reshaped(1, c)
        return x.galaGated(alpha: av * g, beta: av + mv * g, local: l)
    }
}

extension Tensor {
    /// `self ⊙ tanh(α[n,c] + β[n,c]·l[n,hw])` for x (N, C, H, W), α, β (N, C), l (N, 1, H, W), in one pass.
    /// With t = tanh(·), p = g·x·(1 − t²): ∂x = g·t, ∂α = Σ_hw p, ∂β = Σ_hw p·l, ∂l = Σ_c p·β.
    func galaGated(alpha: Tensor, beta: Tensor, local l: Tensor) -> Tensor {
        let n = shape[0], c = shape[1], hw = count / Swift.max(n * c, 1)
        checkShape(alpha.count == n * c && beta.count == n * c && l.count == n * hw, "galaGated: shapes do not fit \(shape)")
        let out = Tensor(uninitializedShape: shape)
        let xp = UncheckedPointer(data), ap = UncheckedPointer(alpha.data), bp = UncheckedPointer(beta.data)
        let lp = UncheckedPointer(l.data), op = UncheckedPointer(out.data)
        // tanh is recomputed per row into an L1-sized scratch (forward and pullback) instead of keeping a full-size buffer.
        RowKernels.forRows(n * c, rowLength: hw) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: hw) { scratch in
                let t = scratch.baseAddress!
                for row in range {
                    let al = ap.p[row], be = bp.p[row], lr = lp.p + (row / c) * hw, xr = xp.p + row * hw, o = op.p + row * hw
                    for k in 0..<hw { o[k] = al + be * lr[k] }
                    VectorMath.apply(.tanh, o, t, count: hw)   // out of place: the vector path needs distinct buffers
                    for k in 0..<hw { o[k] = xr[k] * t[k] }
                }
            }
        }
        let x = self
        return Tensor.differentiable("galaGated", inputs: [self, alpha, beta, l], output: out) { g in
            let gx = Tensor(uninitializedShape: x.shape), ga = Tensor(uninitializedShape: alpha.shape)
            let gb = Tensor(uninitializedShape: beta.shape), gl = Tensor.zeros(l.shape)
            let gp = UncheckedPointer(g.data), xq = UncheckedPointer(x.data), aq = UncheckedPointer(alpha.data)
            let lq = UncheckedPointer(l.data), bq = UncheckedPointer(beta.data)
            let gxp = UncheckedPointer(gx.data), gap = UncheckedPointer(ga.data), gbp = UncheckedPointer(gb.data)
            let glp = UncheckedPointer(gl.data)
            // Rows of one sample share l's gradient row: split the work by sample so no two workers write it.
            RowKernels.forRows(n, rowLength: c * hw) { samples in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * hw) { scratch in
                    let t = scratch.baseAddress!, pre = t + hw
                    for s in samples {
                        let lr = lq.p + s * hw, glr = glp.p + s * hw
                        for ch in 0..<c {
                            let row = s * c + ch, off = row * hw, al = aq.p[row], be = bq.p[row]
                            let gr = gp.p + off, xr = xq.p + off, gxr = gxp.p + off
                            for k in 0..<hw { pre[k] = al + be * lr[k] }
                            VectorMath.apply(.tanh, pre, t, count: hw)
                            var sa = SIMD8<Float>(), sb = SIMD8<Float>(), k = 0
                            while k + 8 <= hw {
                                let tk = SimAM.load(t, k), gk = SimAM.load(gr, k)
                                UnsafeMutableRawPointer(gxr + k).storeBytes(of: gk * tk, as: SIMD8<Float>.self)
                                let p = gk * SimAM.load(xr, k) * (1 - tk * tk)
                                sa += p
                                sb += p * SimAM.load(lr, k)
                                UnsafeMutableRawPointer(glr + k).storeBytes(of: SimAM.load(glr, k) + p * be, as: SIMD8<Float>.self)
                                k += 8
                            }
                            var fa = sa.sum(), fb = sb.sum()
                            while k < hw {
                                let tk = t[k], gk = gr[k]
                                gxr[k] = gk * tk
                                let p = gk * xr[k] * (1 - tk * tk)
                                fa += p
                                fb += p * lr[k]
                                glr[k] += p * be
                                k += 1
                            }
                            gap.p[row] = fa
                            gbp.p[row] = fb
                        }
                    }
                }
            }
            return [gx, ga, gb, gl]
        }
    }
}
