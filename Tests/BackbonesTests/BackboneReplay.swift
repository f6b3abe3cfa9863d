import Foundation
import NN
import TensorCore
import TensorIO
import TestSupport
import Testing
@testable import Backbones

/// Replays a fixture of `scripts/fixtures/make_backbones.py` on `net`: golden key list (key,
/// shape, dtype), generated weights + calibrated BN statistics, eval output, stage outputs,
/// train output, input gradient, sampled parameter gradients and sampled BN buffers after the step.
/// References are PyTorch's float64 values; each comparison allows `atol + rtol·|ref|` plus
/// `errFactor` × PyTorch's own float32 error on that tensor (stored beside it): train-mode
/// BatchNorm backward over a batch of 2 is ill-conditioned, so we must be as close to the float64
/// truth as PyTorch's float32 is, not equal to PyTorch's rounding.
func replayBackbone(_ net: ResNet, _ fx: Fixture, shape: [Int] = [2, 3, 99, 131], rtol: Float = 1e-4, atol: Float = 1e-4,
                    gradRtol: Float = 1e-3, errFactor: Float = 16, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let name = fx.url.lastPathComponent
    let golden = try #require(try fx.json("state_keys") as? [[Any]], sourceLocation: sourceLocation)
    let keys = golden.map { $0[0] as! String }
    #expect(net.stateKeys == keys, "\(name): state-dict keys differ from PyTorch's", sourceLocation: sourceLocation)
    let ours = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.key, $0) })
    for g in golden {
        let key = g[0] as! String, shape = (g[1] as! [Any]).map { ($0 as! NSNumber).intValue }, dtype = g[2] as! String
        guard let e = ours[key] else { continue }
        #expect(e.value.shape == shape, "\(name): \(key) has shape \(e.value.shape), PyTorch \(shape)", sourceLocation: sourceLocation)
        #expect(e.isInteger == (dtype == "int64"), "\(name): \(key) dtype differs (PyTorch \(dtype))", sourceLocation: sourceLocation)
    }
    DeterministicWeights.fill(net)
    let calibrated = fx.keys(prefix: "calibrated.").map { (key: String($0.dropFirst(11)), array: fx.file[$0]!) }
    try net.loadStateDict(calibrated, strict: false, source: name)
    let x0 = try fixtureInput(fx, shape: shape)
    net.eval()
    func tolerance(_ key: String) throws -> Float { try fx.tensor(key + "_err").scalars[0] * errFactor }
    expectClose(withNoGrad { net(x0) }, try fx.tensor("eval_output"), rtol: rtol, atol: atol + (try tolerance("eval_output")),
                "\(name) eval output", sourceLocation: sourceLocation)
    if fx.has("feature1.norm") {
        let feats = withNoGrad { net.features(x0) }
        for (i, f) in feats.enumerated() {
            let p = "feature\(i + 1)"
            let shape = try fx.array(p + ".shape").asInt64().map(Int.init)
            #expect(f.shape == shape, "\(name) \(p) shape \(f.shape), PyTorch \(shape)", sourceLocation: sourceLocation)
            try expectSampled(f, fx, p + ".norm", p + ".index", p + ".value", p + ".err", row: nil, rtol: rtol, atol: atol, errFactor: errFactor,
                              "\(name) \(p)", sourceLocation: sourceLocation)
        }
    }
    net.train()
    let x = x0.copy().requiringGrad()
    let y = net(x)
    y.sum().backward()
    expectClose(y, try fx.tensor("train_output"), rtol: rtol, atol: atol + (try tolerance("train_output")), "\(name) train output",
                sourceLocation: sourceLocation)
    try expectSampled(x.grad ?? Tensor.zeros(shape), fx, "input_grad.norm", "input_grad.index", "input_grad.value", "input_grad.err",
                      row: nil, rtol: gradRtol, atol: atol, errFactor: errFactor, "\(name) input gradient", sourceLocation: sourceLocation)
    let params = try #require(try fx.json("param_keys") as? [String], sourceLocation: sourceLocation)
    let named = Dictionary(uniqueKeysWithValues: net.namedParameters())
    for (row, key) in params.enumerated() {
        guard let p = named[key] else { continue }
        try expectSampled(p.grad ?? Tensor.zeros(p.shape), fx, "grad_norm", "grad_index", "grad_value", "grad_err", row: row,
                          rtol: gradRtol, atol: atol, errFactor: errFactor, "\(name) gradient of \(key)", sourceLocation: sourceLocation)
    }
    let buffers = try #require(try fx.json("buffer_keys") as? [String], sourceLocation: sourceLocation)
    let state = Dictionary(uniqueKeysWithValues: net.namedBuffers())
    for (row, key) in buffers.enumerated() {
        guard let b = state[key] else { Issue.record("\(name): no buffer \(key)", sourceLocation: sourceLocation); continue }
        try expectSampled(b.value, fx, "updated_norm", "updated_index", "updated_value", "updated_err", row: row,
                          rtol: rtol, atol: atol, errFactor: errFactor,
                          "\(name) \(key) after the train step", sourceLocation: sourceLocation)
    }
    net.eval()
}

/// The fixture's input: DeterministicWeights.input, with the values the fixture stores under
/// `input_patch.index` / `input_patch.value` put in (make_backbones.py nudges a few inputs of some
/// networks so that no ReLU or max of the train-mode forward is decided by rounding).
func fixtureInput(_ fx: Fixture, shape: [Int]) throws -> Tensor {
    guard fx.has("input_patch.index") else { return DeterministicWeights.input(shape) }
    var values = DeterministicWeights.uniform(key: "input", count: shape.reduce(1, *))
    let index = try fx.array("input_patch.index").asInt64(), patch = try fx.tensor("input_patch.value").scalars
    for (i, v) in zip(index, patch) { values[Int(i)] = v }
    return Tensor(values, shape: shape)
}

/// Compares the L2 norm and 16 sampled entries (row `row` of the stacked samples, or the whole
/// entry) with `atol + rtol·|ref| + errFactor·(PyTorch's float32 error: max per entry, norm for the norm)`.
func expectSampled(_ t: Tensor, _ fx: Fixture, _ normKey: String, _ indexKey: String, _ valueKey: String, _ errKey: String,
                   row: Int?, rtol: Float, atol: Float, errFactor: Float, _ what: String, sourceLocation: SourceLocation) throws {
    let norms = try fx.tensor(normKey).scalars, index = try fx.array(indexKey).asInt64().map(Int.init), values = try fx.tensor(valueKey).scalars
    let errs = try fx.tensor(errKey).scalars
    let k = index.count / (row == nil ? 1 : norms.count), r = row ?? 0
    let expectedNorm = norms[r], errMax = errs[2 * r] * errFactor, errNorm = errs[2 * r + 1] * errFactor
    let scalars = t.scalars
    let norm = Float(scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    #expect(abs(norm - expectedNorm) <= atol + rtol * expectedNorm + errNorm, "\(what): norm \(norm), PyTorch \(expectedNorm)",
            sourceLocation: sourceLocation)
    for j in 0..<k {
        let i = index[r * k + j], e = values[r * k + j], a = scalars[i]
        #expect(abs(a - e) <= atol + rtol * abs(e) + errMax, "\(what)[\(i)]: \(a), PyTorch \(e)", sourceLocation: sourceLocation)
    }
}
