import NN
import TensorCore
import TestSupport
import Testing

@Test("A2: PreciseBN recomputes BN population statistics as torch.optim.swa_utils.update_bn does")
func preciseBNParity() throws {
    let fx = try Fixture("nn_precise_bn")
    let model = Sequential(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4), ReLU(),
                           Conv2d(inChannels: 4, outChannels: 5, kernelSize: 1), BatchNorm2d(numFeatures: 5, momentum: 0.3))
    let state = try fx.keys(prefix: "state.").map { (key: String($0.dropFirst("state.".count)), array: try fx.array($0)) }
    try model.loadStateDict(state, source: "nn_precise_bn.safetensors")
    let paramsBefore = model.parameters.map(\.value.scalars)
    model.eval()
    let batches = try (0..<3).map { try fx.tensor("batch\($0)") }
    PreciseBN.update(model, batches: batches)
    for e in model.stateDict() { expectClose(e.value, try fx.tensor("after.\(e.key)"), "\(e.key) after PreciseBN") }
    #expect(!model.training, "training mode restored")
    #expect((model[4] as? BatchNorm2d)?.momentum == 0.3, "momentum restored")
    #expect(model.parameters.map(\.value.scalars) == paramsBefore, "parameters untouched")
    #expect(model.parameters.allSatisfy { $0.grad == nil }, "no gradients recorded")
    expectClose(model(batches[0]), try fx.tensor("after.eval_output"), "eval output with the precise statistics")
}

@Test("A2: PreciseBN gives a true average: the order of the batches does not matter (unlike the EMA)")
func preciseBNOrderInvariant() throws {
    let fx = try Fixture("nn_precise_bn")
    let batches = try (0..<3).map { try fx.tensor("batch\($0)") }
    func stats(_ order: [Int]) -> [Float] {
        let bn = BatchNorm2d(numFeatures: 3)
        PreciseBN.update(bn, batches: order.map { batches[$0] })
        return bn.runningMean!.value.scalars + bn.runningVar!.value.scalars
    }
    let a = stats([0, 1, 2]), b = stats([2, 0, 1])
    #expect(Tensor(a).isClose(to: Tensor(b), rtol: 1e-5, atol: 1e-6))
    // The EMA (momentum 0.1) depends on the order: the check above could fail.
    func ema(_ order: [Int]) -> [Float] {
        let bn = BatchNorm2d(numFeatures: 3)
        for i in order { _ = bn(batches[i]) }
        return bn.runningMean!.value.scalars
    }
    #expect(!Tensor(ema([0, 1, 2])).isClose(to: Tensor(ema([2, 0, 1])), rtol: 1e-3, atol: 1e-4))
}
