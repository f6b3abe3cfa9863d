import NN
import TensorCore
import Testing

@Test("Sequential runs BatchNorm, ReLU as one op in training: the same values, gradients and buffers as layer by layer")
func sequentialNormReLUFusion() {
    func model() -> Sequential {
        RandomGenerator.withSeed(3) {
            Sequential(Conv2d(inChannels: 3, outChannels: 6, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 6), ReLU(),
                       Conv2d(inChannels: 6, outChannels: 4, kernelSize: 1), BatchNorm2d(numFeatures: 4), ReLU())
        }
    }
    let x0 = RandomGenerator.withSeed(4) { Tensor.randn([2, 3, 9, 7]) }
    let gout = RandomGenerator.withSeed(5) { Tensor.randn([2, 4, 9, 7]) }
    var runs: [(Tensor, Tensor, [[Float]], [[Float]])] = []
    for fused in [true, false] {
        let m = model()
        m.train()
        let x = x0.copy().requiringGrad()
        // Layer by layer: each module called on its own (what a forward observer sees).
        let y = fused ? m(x) : m.layers.reduce(x) { $1($0) }
        (y * gout).sum().backward()
        runs.append((y, x.grad!, m.parameters.map { $0.grad!.scalars }, m.stateDict().map { $0.value.scalars }))
    }
    let outZeros = runs[0].0.scalars.filter { $0 == 0 }.count
    #expect(outZeros > 20 && outZeros < runs[0].0.count - 20, "the ReLU must cut some outputs and keep others")
    #expect(runs[0].0.scalars == runs[1].0.scalars, "output")
    #expect(runs[0].1.scalars == runs[1].1.scalars, "input gradient")
    #expect(runs[0].2 == runs[1].2, "parameter gradients")
    #expect(runs[0].3 == runs[1].3, "running statistics and counters")
    // A forward observer sees every layer, the norm's own output included.
    var seen: [String] = []
    let m = model()
    m.train()
    ForwardObserver.$current.withValue(ForwardObserver { module, _, _ in seen.append(String(describing: type(of: module))) }) {
        _ = m(x0)
    }
    #expect(seen == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "ReLU", "Sequential"])
}
