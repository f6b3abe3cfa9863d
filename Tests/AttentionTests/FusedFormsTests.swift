import Attention
import NN
import TensorCore
import TestSupport
import Testing

/// Fused forward passes against the composed forms they replace (values and every gradient), on
/// random parameters so that no branch is trivial. The PyTorch fixtures check the fused forms too.
@Test("ShuffleAttention: the fused pass equals the composed reference steps, values and gradients")
func shuffleAttentionFusedEqualsComposed() {
    let sa = ShuffleAttention(channel: 24, G: 3)
    RandomGenerator.withSeed(3) {
        for p in sa.namedParameters().map({ $0.1 }) {
            let r = Tensor.randn(p.value.shape)
            withExtendedLifetime(r) { p.value.data.update(from: r.data, count: p.value.count) }
        }
    }
    let x = RandomGenerator.withSeed(4) { Tensor.randn([2, 24, 3, 5]) }
    let gy = RandomGenerator.withSeed(5) { Tensor.randn([2, 24, 3, 5]) }
    func run(_ f: (Tensor) -> Tensor) -> (Tensor, Tensor, [Tensor]) {
        for p in sa.namedParameters().map({ $0.1 }) { p.value.zeroGrad() }
        let xg = x.copy().requiringGrad()
        let y = f(xg)
        (y * gy).sum().backward()
        return (y.detach(), xg.grad!, sa.namedParameters().map { $0.1 }.map { $0.value.grad! })
    }
    let fused = run { sa($0) }, composed = run { sa.composedForward($0) }
    expectClose(fused.0, composed.0, "output")
    expectClose(fused.1, composed.1, rtol: 1e-4, atol: 1e-5, "input gradient")
    for (a, b) in zip(fused.2, composed.2) { expectClose(a, b, rtol: 1e-4, atol: 1e-4, "parameter gradient") }
}

@Test("SpatialGroupEnhance: the fused pass equals the composed reference steps, values and gradients")
func spatialGroupEnhanceFusedEqualsComposed() {
    let sge = SpatialGroupEnhance(groups: 4)
    RandomGenerator.withSeed(6) {
        for p in sge.namedParameters().map({ $0.1 }) {
            let r = Tensor.randn(p.value.shape)
            withExtendedLifetime(r) { p.value.data.update(from: r.data, count: p.value.count) }
        }
    }
    let x = RandomGenerator.withSeed(7) { Tensor.randn([3, 16, 4, 5]) }
    let gy = RandomGenerator.withSeed(8) { Tensor.randn([3, 16, 4, 5]) }
    func run(_ f: (Tensor) -> Tensor) -> (Tensor, Tensor, [Tensor]) {
        for p in sge.namedParameters().map({ $0.1 }) { p.value.zeroGrad() }
        let xg = x.copy().requiringGrad()
        let y = f(xg)
        (y * gy).sum().backward()
        return (y.detach(), xg.grad!, sge.namedParameters().map { $0.1.value.grad! })
    }
    let fused = run { sge($0) }, composed = run { sge.composedForward($0) }
    expectClose(fused.0, composed.0, "output")
    expectClose(fused.1, composed.1, rtol: 1e-4, atol: 1e-5, "input gradient")
    for (a, b) in zip(fused.2, composed.2) { expectClose(a, b, rtol: 1e-4, atol: 1e-4, "parameter gradient") }
}
