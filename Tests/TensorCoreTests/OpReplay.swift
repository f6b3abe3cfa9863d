import TensorCore
import TestSupport
import Testing

/// Replays every case of `ops_<topic>.safetensors`: output, and gradients of (out ⊙ gout).sum()
/// for the inputs the fixture marks differentiable. A case without a Swift op is a failure.
func replay(_ topic: String, rtol: Float = 1e-4, atol: Float = 1e-5, gradRtol: Float = 1e-3, gradAtol: Float = 1e-4,
            sourceLocation: SourceLocation = #_sourceLocation,
            _ ops: [String: ([Tensor]) -> Tensor]) throws {
    let fx = try Fixture("ops_" + topic)
    let cases = try #require(try fx.json("cases") as? [[String: Any]])
    #expect(!cases.isEmpty, sourceLocation: sourceLocation)
    for c in cases {
        let name = c["name"] as! String, count = c["inputs"] as! Int, grad = c["grad"] as! [Int]
        guard let op = ops[name] else {
            Issue.record("\(topic): no Swift op for fixture case \(name)", sourceLocation: sourceLocation)
            continue
        }
        var inputs = try (0..<count).map { try fx.tensor("\(name).in.\($0)") }
        for i in grad { inputs[i] = inputs[i].requiringGrad() }
        let out = op(inputs)
        expectClose(out, try fx.tensor("\(name).out"), rtol: rtol, atol: atol, "\(name) output", sourceLocation: sourceLocation)
        guard !grad.isEmpty else { continue }
        (out * (try fx.tensor("\(name).gout"))).sum().backward()
        for i in grad {
            expectGradClose(inputs[i].grad, try fx.tensor("\(name).grad.\(i)"), rtol: gradRtol, atol: gradAtol,
                            "\(name) gradient of input \(i)", sourceLocation: sourceLocation)
        }
    }
    let extra = Set(ops.keys).subtracting(cases.map { $0["name"] as! String })
    #expect(extra.isEmpty, "Swift ops without fixture: \(extra.sorted())", sourceLocation: sourceLocation)
}
