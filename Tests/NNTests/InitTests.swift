import NN
import TensorCore
import TestSupport
import Testing

/// [min, max, mean, std] of the parameter's values.
private func sampleStats(_ p: Parameter) -> [Float] {
    let v = p.value.scalars.map(Double.init)
    let mean = v.reduce(0, +) / Double(v.count)
    let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot()
    return [Float(v.min()!), Float(v.max()!), Float(mean), Float(std)]
}

/// Compares sample statistics with PyTorch's draw of the same distribution: bounds of uniform
/// draws within 2% of the spread, the std within `stdTol` (relative), the mean within 6 standard errors.
private func expectSameDistribution(_ p: Parameter, _ expected: Tensor, uniform: Bool, stdTol: Float = 0.03,
                                    _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let s = sampleStats(p), e = expected.scalars
    if uniform {
        let spread = e[1] - e[0]
        #expect(abs(s[0] - e[0]) <= 0.02 * spread && abs(s[1] - e[1]) <= 0.02 * spread, "\(what): bounds \(s[0...1]) vs \(e[0...1])",
                sourceLocation: sourceLocation)
    }
    #expect(abs(s[3] - e[3]) <= stdTol * e[3], "\(what): std \(s[3]) vs \(e[3])", sourceLocation: sourceLocation)
    let standardError = e[3] / Float(p.value.count).squareRoot()
    #expect(abs(s[2] - e[2]) <= 6 * standardError + 1e-6, "\(what): mean \(s[2]) vs \(e[2])", sourceLocation: sourceLocation)
}

@Test("Init: kaiming, xavier, uniform and normal draw PyTorch's distributions")
func initDistributions() throws {
    let fx = try Fixture("nn_init")
    let shape = [64, 32, 3, 3]
    let cases: [(String, Bool, (Parameter) -> Void)] = [
        ("kaiming_uniform_relu_fanout", true, { Init.kaimingUniform($0, mode: .fanOut, nonlinearity: "relu") }),
        ("kaiming_uniform_a_sqrt5", true, { Init.kaimingUniform($0, a: Float(5).squareRoot()) }),
        ("kaiming_normal_fanin", false, { Init.kaimingNormal($0, nonlinearity: "relu") }),
        ("kaiming_normal_leaky_fanout", false, { Init.kaimingNormal($0, a: 0.2, mode: .fanOut) }),
        ("xavier_uniform_tanh", true, { Init.xavierUniform($0, gain: Init.gain("tanh")) }),
        ("xavier_normal", false, { Init.xavierNormal($0) }),
        ("uniform", true, { Init.uniform($0, low: -0.3, high: 0.7) }),
        ("normal", false, { Init.normal($0, mean: 0.5, std: 2) }),
    ]
    for (name, uniform, initialise) in cases {
        let p = Parameter(Tensor.zeros(shape))
        RandomGenerator.withSeed(11) { initialise(p) }
        expectSameDistribution(p, try fx.tensor("init.\(name)"), uniform: uniform, name)
    }
    let gains = [("relu", Float(0)), ("leaky_relu", 0.2), ("tanh", 0), ("sigmoid", 0), ("linear", 0), ("selu", 0)]
        .map { Init.gain($0.0, a: $0.1) }
    expectClose(Tensor(gains), try fx.tensor("init.gains"), "gains")
}

@Test("Init: Linear/Conv defaults are PyTorch's (kaiming_uniform a=√5, bias U(±1/√fan_in)); BN starts at 1/0; seeds reproduce")
func defaultInitialisation() throws {
    let fx = try Fixture("nn_init")
    let lin = RandomGenerator.withSeed(3) { Linear(inFeatures: 300, outFeatures: 400) }
    expectSameDistribution(lin.weight, try fx.tensor("init.linear_default_weight"), uniform: true, "Linear weight")
    expectSameDistribution(lin.bias!, try fx.tensor("init.linear_default_bias"), uniform: true, stdTol: 0.15, "Linear bias")
    let again = RandomGenerator.withSeed(3) { Linear(inFeatures: 300, outFeatures: 400) }
    let other = RandomGenerator.withSeed(4) { Linear(inFeatures: 300, outFeatures: 400) }
    #expect(again.weight.value.scalars == lin.weight.value.scalars)
    #expect(other.weight.value.scalars != lin.weight.value.scalars)
    let bn = BatchNorm2d(numFeatures: 4)
    #expect(bn.weight!.value.scalars == [1, 1, 1, 1] && bn.bias!.value.scalars == [0, 0, 0, 0])
    #expect(bn.runningMean!.value.scalars == [0, 0, 0, 0] && bn.runningVar!.value.scalars == [1, 1, 1, 1])
    // Conv2d(16→8, 3×3) has fan_in 144: every weight and bias within ±1/12.
    let conv = Conv2d(inChannels: 16, outChannels: 8, kernelSize: 3)
    #expect((conv.weight.value.scalars + conv.bias!.value.scalars).allSatisfy { abs($0) <= 1.0 / 12 })
}

@Test("Dropout: identity in eval and for p = 0; in training zeros a p-fraction and scales the rest by 1/(1−p)")
func dropoutBehaviour() {
    let x = Tensor.ones([20_000])
    let d = Dropout(p: 0.3)
    d.eval()
    #expect(d(x).scalars == x.scalars)
    d.train()
    let y = RandomGenerator.withSeed(5) { d(x) }.scalars
    let zeros = y.filter { $0 == 0 }.count
    #expect(abs(Float(zeros) / Float(y.count) - 0.3) < 0.02)
    #expect(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
    #expect(Dropout(p: 0)(x).scalars == x.scalars)
    #expect(Dropout(p: 1)(x).scalars.allSatisfy { $0 == 0 })
}
