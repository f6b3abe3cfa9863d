import Kernels
import NN
import TensorCore

/// Highway layers: a learned gate mixes a transform of the input with the input itself (catalogue D27).
///
/// Paper: Srivastava, Greff, Schmidhuber, "Highway Networks" / "Training Very Deep Networks", 2015,
/// https://arxiv.org/abs/1505.00387
/// ```
/// per layer:  T = σ(W_T x + b_T),  H = ReLU(W_H x + b_H)
///             y = H·T + x·(1 − T)
/// ```
/// Shapes: (N, size) → (N, size) (fully connected form, the paper's MNIST/CIFAR-100 networks).
/// State-dict keys: `nonlinear.i.weight`, `nonlinear.i.bias` (H) and `gate.i.weight`, `gate.i.bias` (T), i < num_layers.
/// Reference: the paper's equations with its advice of a negative transform-gate bias at init (`gate_bias`, −1
/// here); no official code. Our PyTorch transcription is `scripts/fixtures/zoo_seed003B1.py` `Highway`.
/// The two products run as GEMMs without bias; the biases, σ, ReLU, the mix and its pullback are one fused primitive.
public final class Highway: Module, @unchecked Sendable {
    public let nonlinear: ModuleList
    public let gate: ModuleList
    public let size: Int

    public init(size: Int = 1024, numLayers: Int = 1, gateBias: Float = -1) {
        self.size = size
        nonlinear = ModuleList((0..<numLayers).map { _ in Linear(inFeatures: size, outFeatures: size) })
        gate = ModuleList((0..<numLayers).map { _ in Linear(inFeatures: size, outFeatures: size) })
        super.init()
        for case let t as Linear in gate.modules { if let b = t.bias { Init.constant(b, gateBias) } }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 2 && x.shape[1] == size, "Highway: expected an (N, \(size)) input, got \(x.shape)")
        var y = x
        for case let (h as Linear, t as Linear) in zip(nonlinear.modules, gate.modules) {
            // The two GEMMs without bias; the biases are added inside the fused gate mix.
            y = Highway.combine(h: y.linear(weight: h.weight.value), t: y.linear(weight: t.weight.value),
                                hBias: h.bias!.value, tBias: t.bias!.value, x: y)
        }
        return y
    }

    /// `ReLU(h + b_h)·σ(t + b_t) + x·(1 − σ(t + b_t))` in one pass over (N, D); keeps σ for the pullback.
    /// `h` and `t` are fresh GEMM outputs that only this op reads: their biases are added in place.
    static func combine(h: Tensor, t: Tensor, hBias: Tensor, tBias: Tensor, x: Tensor) -> Tensor {
        let rows = x.shape[0], d = x.shape[1], count = x.count
        let out = Tensor(uninitializedShape: x.shape)
        let gate = Tensor(uninitializedShape: x.shape)
        let hp = UncheckedPointer(h.data), tp = UncheckedPointer(t.data), xp = UncheckedPointer(x.data)
        let sp = UncheckedPointer(gate.data), op = UncheckedPointer(out.data)
        let bh = UncheckedPointer(hBias.data), bt = UncheckedPointer(tBias.data)
        let rowChunk = Swift.max(1, (1 << 14) / Swift.max(d, 1))
        Threading.parallelFor(rows, minChunk: rowChunk) { r in
            for i in r {
                let ts = tp.p + i * d
                for j in 0..<d { ts[j] += bt.p[j] }
                VectorMath.apply(.sigmoid, ts, sp.p + i * d, count: d)
                let hs = hp.p + i * d, xs = xp.p + i * d, ss = sp.p + i * d, os = op.p + i * d
                for j in 0..<d {
                    let hv = hs[j] + bh.p[j], s = ss[j]
                    hs[j] = hv
                    os[j] = Swift.max(hv, 0) * s + xs[j] * (1 - s)
                }
            }
        }
        // With s = σ(t + b_t), r = ReLU(h + b_h):  ∂h = g·s·[h + b_h > 0],  ∂t = g·(r − x)·s(1 − s),  ∂x = g·(1 − s);
        // ∂b_h, ∂b_t are the column sums of ∂h, ∂t.
        return Tensor.differentiable("highway_combine", inputs: [h, t, hBias, tBias, x], output: out) { [h, x, gate] g in
            let dh = Tensor(uninitializedShape: h.shape), dt = Tensor(uninitializedShape: t.shape)
            let dx = x.requiresGrad ? Tensor(uninitializedShape: x.shape) : nil
            let gp = UncheckedPointer(g.data), hp = UncheckedPointer(h.data), xp = UncheckedPointer(x.data)
            let sp = UncheckedPointer(gate.data)
            let dhp = UncheckedPointer(dh.data), dtp = UncheckedPointer(dt.data), dxp = dx.map { UncheckedPointer($0.data) }
            Threading.parallelFor(count, minChunk: 1 << 15) { r in
                for i in r {
                    let gv = gp.p[i], s = sp.p[i], hv = hp.p[i]
                    dhp.p[i] = hv > 0 ? gv * s : 0
                    dtp.p[i] = gv * (Swift.max(hv, 0) - xp.p[i]) * s * (1 - s)
                    dxp?.p[i] = gv * (1 - s)
                }
            }
            return [dh, dt, Highway.columnSums(dh), Highway.columnSums(dt), dx]
        }
    }

    /// Σ over rows of an (N, D) tensor, as (D).
    static func columnSums(_ a: Tensor) -> Tensor {
        let rows = a.shape[0], d = a.shape[1]
        let out = Tensor.zeros([d])
        let ap = UncheckedPointer(a.data), op = UncheckedPointer(out.data)
        Threading.parallelFor(d, minChunk: 256) { cols in
            for i in 0..<rows {
                let row = ap.p + i * d
                for j in cols { op.p[j] += row[j] }
            }
        }
        return out
    }
}
