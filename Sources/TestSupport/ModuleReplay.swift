import Foundation
import NN
import TensorCore
import TensorIO
import Testing

/// Replays a module fixture written by `scripts/fixtures/zoo_common.py`: loads `state.*`
/// strictly, checks the state-dict key order against PyTorch's, then in eval and in train
/// mode compares the output, the input gradient and every parameter gradient of
/// `(output ⊙ grad_output).sum()`, and finally the buffers after the train step. A parameter
/// gradient that PyTorch gives below `gradAtol` everywhere (an analytically cancelling sum) is
/// checked to be below 2·`gradAtol` on our side instead of element-wise.
public func replayModuleFixture(_ module: Module, _ fx: Fixture, rtol: Float = 1e-4, atol: Float = 1e-5,
                                gradRtol: Float = 1e-3, gradAtol: Float = 1e-4,
                                forward: ((Module, Tensor) -> Tensor)? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
    let name = fx.url.lastPathComponent
    let meta = try #require(try fx.json("fixture") as? [String: Any], sourceLocation: sourceLocation)
    let keys = meta["state_keys"] as? [String] ?? []
    #expect(module.stateKeys == keys, "\(name): state-dict keys differ from PyTorch's", sourceLocation: sourceLocation)
    let state = fx.keys(prefix: "state.").map { (key: String($0.dropFirst(6)), array: fx.file[$0]!) }
    try module.loadStateDict(state, strict: true, source: name)
    let run = forward ?? { m, x in m(x) }
    let x0 = try fx.tensor("input"), gout = try fx.tensor("grad_output")
    for mode in ["eval", "train"] {
        if mode == "train" {
            try module.loadStateDict(state, strict: true, source: name)
            module.train()
        } else {
            module.eval()
        }
        module.zeroGrad()
        let x = x0.copy().requiringGrad()
        let y = run(module, x)
        expectClose(y, try fx.tensor("\(mode).output"), rtol: rtol, atol: atol, "\(name) \(mode) output", sourceLocation: sourceLocation)
        (y * gout).sum().backward()
        expectGradClose(x.grad, try fx.tensor("\(mode).grad.input"), rtol: gradRtol, atol: gradAtol,
                        "\(name) \(mode) input gradient", sourceLocation: sourceLocation)
        for (key, p) in module.namedParameters() where fx.has("\(mode).grad.\(key)") {
            let expected = try fx.tensor("\(mode).grad.\(key)"), actual = p.grad ?? Tensor.zeros(p.shape)
            if expected.count > 0 && (expected.scalars.map(Swift.abs).max() ?? 0) < gradAtol {
                // The whole reference gradient is at the noise floor: a sum that cancels
                // analytically (e.g. the bias of a convolution feeding a train-mode BatchNorm,
                // exactly 0 in exact arithmetic). Rounding decides its values on both sides, so
                // ours must be at the same floor rather than equal to PyTorch's rounding.
                let worst = actual.scalars.map(Swift.abs).max() ?? 0
                #expect(worst < 2 * gradAtol, "\(name) \(mode) gradient of \(key): reference is below \(gradAtol) everywhere, ours reaches \(worst)",
                        sourceLocation: sourceLocation)
                continue
            }
            expectGradClose(actual, expected, rtol: gradRtol, atol: gradAtol,
                            "\(name) \(mode) gradient of \(key)", sourceLocation: sourceLocation)
        }
    }
    for (key, b) in module.namedBuffers() where fx.has("train.state.\(key)") {
        expectClose(b.value, try fx.tensor("train.state.\(key)"), rtol: rtol, atol: atol,
                    "\(name) \(key) after the train step", sourceLocation: sourceLocation)
    }
    module.eval()
}
