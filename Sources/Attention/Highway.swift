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
/// The gate combination (σ, ReLU, the mix and its pullback) is one fused primitive after the two linear layers.
public final class Highway: Module {
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
        for (h, t) in zip(nonlinear.modules, gate.modules) {
            y = Highway.combine(h: h(y), t: t(y), x: y)
        }
        return y
    }

    /// `ReLU(h)·σ(t) + x·(1 − σ(t))` in one pass; keeps σ(t) for the pullback.
    static func combine(h: Tensor, t: Tensor, x: Tensor) -> Tensor {
        let count = x.count
        let out = Tensor(uninitializedShape: x.shape)
        let gate = Tensor(uninitializedShape: x.shape)
        VectorMath.apply(.sigmoid, t.data, gate.data, count: count)
        let hp = UncheckedPointer(h.data), xp = UncheckedPointer(x.data), sp = UncheckedPointer(gate.data)
        let op = UncheckedPointer(out.data)
        Threading.parallelFor(count, minChunk: 1 << 15) { r in
            for i in r {
                let s = sp.p[i], hv = Swift.max(hp.p[i], 0)
                op.p[i] = hv * s + xp.p[i] * (1 - s)
            }
        }
        // With s = σ(t), r = ReLU(h):  ∂h = g·s·[h > 0],  ∂t = g·(r − x)·s(1 − s),  ∂x = g·(1 − s).
        return Tensor.differentiable("highway_combine", inputs: [h, t, x], output: out) { [h, x, gate] g in
            let dh = h.requiresGrad ? Tensor(uninitializedShape: h.shape) : nil
            let dt = t.requiresGrad ? Tensor(uninitializedShape: t.shape) : nil
            let dx = x.requiresGrad ? Tensor(uninitializedShape: x.shape) : nil
            let gp = UncheckedPointer(g.data), hp = UncheckedPointer(h.data), xp = UncheckedPointer(x.data)
            let sp = UncheckedPointer(gate.data)
            let dhp = dh.map { UncheckedPointer($0.data) }, dtp = dt.map { UncheckedPointer($0.data) }
            let dxp = dx.map { UncheckedPointer($0.data) }
            Threading.parallelFor(count, minChunk: 1 << 15) { r in
                for i in r {
                    let gv = gp.p[i], s = sp.p[i], hv = hp.p[i]
                    dhp?.p[i] = hv > 0 ? gv * s : 0
                    dtp?.p[i] = gv * (Swift.max(hv, 0) - xp.p[i]) * s * (1 - s)
                    dxp?.p[i] = gv * (1 - s)
                }
            }
            return [dh, dt, dx]
        }
    }
}
