import Kernels
import NN
import TensorCore

/// SimAM, a parameter-free attention from a neuron energy function (catalogue D33).
///
/// Paper: Yang et al., "SimAM: A Simple, Parameter-Free Attention Module for Convolutional
/// Neural Networks", ICML 2021, https://proceedings.mlr.press/v139/yang21o.html
/// ```
/// per (n, c) plane of M = H·W pixels:  d = (X − μ)²,  σ̂² = Σ d / (M − 1)
/// Y = X ⊙ sigmoid(d / (4(σ̂² + e_lambda)) + 0.5)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W). A 1×1 plane divides by M − 1 = 0 (non-finite, as the reference).
/// State-dict keys: none.
/// Reference: official ZjjConan/SimAM `simam_module` (`channels` is accepted and unused, as there).
/// The whole formula is one fused differentiable primitive (one pass forward, one backward).
public final class SimAM: Module, @unchecked Sendable {
    public let eLambda: Float

    public init(channels: Int? = nil, eLambda: Float = 1e-4) {
        self.eLambda = eLambda
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "SimAM: expected a (N, C, H, W) input, got \(x.shape)")
        return SimAM.simam(x, eLambda: eLambda)
    }

    /// The fused SimAM operation; saves the per-plane mean and denominator for the pullback.
    static func simam(_ x: Tensor, eLambda: Float) -> Tensor {
        let planes = x.shape[0] * x.shape[1], m = x.shape[2] * x.shape[3]
        let out = Tensor(uninitializedShape: x.shape)
        let gate = Tensor(uninitializedShape: x.shape)   // sigmoid(y)
        var stats = [Float](repeating: 0, count: 2 * planes) // μ, 4(σ̂² + λ) per plane
        let xp = x.data, op = out.data, sp = gate.data
        let mean1 = 1 / Float(m), nInv = 1 / Float(m - 1)
        stats.withUnsafeMutableBufferPointer { st in
            let stp = st.baseAddress!
            Threading.parallelFor(planes, minChunk: max(1, 4096 / max(m, 1))) { r in
                for p in r {
                    let xs = xp + p * m, ys = sp + p * m, os = op + p * m
                    let mu = SimAM.reduce(m, { SimAM.load(xs, $0) }, { xs[$0] }) * mean1
                    let mu8 = SIMD8<Float>(repeating: mu)
                    let sd = SimAM.reduce(m, { let d = SimAM.load(xs, $0) - mu8; return d * d }, { let d = xs[$0] - mu; return d * d })
                    let denom = 4 * (sd * nInv + eLambda), inv = 1 / denom
                    for i in 0..<m { let d = xs[i] - mu; os[i] = d * d * inv + 0.5 }
                    VectorMath.apply(.sigmoid, os, ys, count: m)   // out of place: the vector path needs distinct buffers
                    for i in 0..<m { os[i] = xs[i] * ys[i] }
                    stp[2 * p] = mu
                    stp[2 * p + 1] = denom
                }
            }
        }
        let saved = stats
        // With s = σ(y), gy = g·x·s(1−s), a_i = ∂L/∂d_i = gy_i/den + K, K = −(4/(M−1))·Σ gy·d / den²:
        // ∂L/∂x_k = g_k s_k + 2(x_k − μ) a_k − (2/M) Σ_i a_i (x_i − μ).
        // The pullback holds `x` and `gate` themselves (not only their pointers) so their storage lives as long as the tape.
        return Tensor.differentiable("simam", inputs: [x], output: out) { g in
            let gx = Tensor(uninitializedShape: x.shape)
            let xp = x.data, sp = gate.data, gp = g.data, dp = gx.data
            Threading.parallelFor(planes, minChunk: max(1, 4096 / max(m, 1))) { r in
                for p in r {
                    let xs = xp + p * m, ss = sp + p * m, gs = gp + p * m, ds = dp + p * m
                    let mu = saved[2 * p], den = saved[2 * p + 1], inv = 1 / den
                    let mu8 = SIMD8<Float>(repeating: mu)
                    for i in 0..<m { let s = ss[i]; ds[i] = gs[i] * xs[i] * s * (1 - s) }   // gy, kept for the next passes
                    let sgd = SimAM.reduce(m, { let c = SimAM.load(xs, $0) - mu8; return SimAM.load(ds, $0) * c * c },
                                           { let c = xs[$0] - mu; return ds[$0] * c * c })
                    let k = -4 * nInv * sgd * inv * inv
                    for i in 0..<m { ds[i] = ds[i] * inv + k }                                  // a
                    let sac = SimAM.reduce(m, { SimAM.load(ds, $0) * (SimAM.load(xs, $0) - mu8) }, { ds[$0] * (xs[$0] - mu) })
                    let corr = 2 * mean1 * sac
                    for i in 0..<m {
                        let c = xs[i] - mu
                        ds[i] = gs[i] * ss[i] + 2 * c * ds[i] - corr
                    }
                }
            }
            return [gx]
        }
    }

    /// Loads eight floats at `p + i`.
    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ over `count` elements: `lanes(i)` eight at a time into eight independent accumulators (the
    /// compiler cannot reassociate a serial float sum itself), then `scalar(i)` for the tail.
    @inline(__always)
    static func reduce(_ count: Int, _ lanes: (Int) -> SIMD8<Float>, _ scalar: (Int) -> Float) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count { acc += lanes(i); i += 8 }
        var total = acc.sum()
        while i < count { total += scalar(i); i += 1 }
        return total
    }
}
