import Testing
import TensorCore
import TestSupport

/// The fused residual `addingReLU` equals `(a + b).relu()` (both PyTorch-checked) in value and
/// in both gradients, zeros and NaN included.
@Test("add_relu = relu(a + b), forward and gradients")
func addReLUMatchesComposition() {
    let a0 = RandomGenerator.withSeed(7) { Tensor.randn([3, 5, 7, 9]) }
    var bv = RandomGenerator.withSeed(8) { Tensor.randn([3, 5, 7, 9]) }.scalars
    let av = a0.scalars
    bv[0] = -av[0]          // an exact zero sum: gradient 0, as relu's
    bv[1] = .nan
    let g = RandomGenerator.withSeed(9) { Tensor.randn([3, 5, 7, 9]) }
    func run(_ fused: Bool) -> (Tensor, Tensor?, Tensor?) {
        let a = Tensor(av, shape: [3, 5, 7, 9]).requiringGrad(), b = Tensor(bv, shape: [3, 5, 7, 9]).requiringGrad()
        let y = fused ? a.addingReLU(b) : (a + b).relu()
        (y * g).sum().backward()
        return (y, a.grad, b.grad)
    }
    let (y1, ga1, gb1) = run(true), (y2, ga2, gb2) = run(false)
    #expect(y1.scalars[1].isNaN && y2.scalars[1].isNaN)
    let finite = { (t: Tensor) in Tensor(t.scalars.enumerated().map { $0.offset == 1 ? 0 : $0.element }, shape: t.shape) }
    expectClose(finite(y1), finite(y2), rtol: 0, atol: 0, "add_relu forward")
    expectClose(finite(ga1!), finite(ga2!), rtol: 0, atol: 0, "add_relu gradient of a")
    expectClose(finite(gb1!), finite(gb2!), rtol: 0, atol: 0, "add_relu gradient of b")
    #expect(ga1!.scalars[0] == 0)
}
