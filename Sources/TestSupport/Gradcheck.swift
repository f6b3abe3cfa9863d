import TensorCore
import Testing

/// Central finite differences of `Σ w ⊙ f(inputs)` (fixed pseudo-random weights `w`, so that
/// symmetric errors cannot cancel) against the autograd gradient of every input.
///
/// Float32 differences are noisy: use tiny shapes, inputs away from kinks, `eps` around 1e-2
/// and the default tolerances. Records one issue per failing input and returns whether all passed.
@discardableResult
public func gradcheck(_ what: String, inputs: [Tensor], eps: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                      sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) -> Bool {
    let leaves = inputs.map { $0.copy().requiringGrad() }
    let out = f(leaves)
    let weights = RandomGenerator.withSeed(99) { Tensor.rand(out.shape, low: 0.5, high: 1.5) }
    (out * weights).sum().backward()
    var ok = true
    func objective(_ xs: [Tensor]) -> Double {
        let y = withNoGrad { f(xs) }
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(weights.data[i]) }
        return s
    }
    for (k, leaf) in leaves.enumerated() {
        let numeric = Tensor.zeros(leaf.shape)
        for i in 0..<leaf.count {
            let plus = inputs.map { $0.copy() }, minus = inputs.map { $0.copy() }
            plus[k].data[i] += eps
            minus[k].data[i] -= eps
            numeric.data[i] = Float((objective(plus) - objective(minus)) / Double(2 * eps))
        }
        let analytic = leaf.grad ?? Tensor.zeros(leaf.shape)
        for i in 0..<leaf.count where !(abs(analytic.data[i] - numeric.data[i]) <= atol + rtol * abs(numeric.data[i])) {
            Issue.record("\(what): gradient of input \(k) at \(i): autograd \(analytic.data[i]) vs finite difference \(numeric.data[i])",
                         sourceLocation: sourceLocation)
            ok = false
            break
        }
    }
    return ok
}
