/// One vertex of the tape: the op that made a tensor, its inputs' nodes and its pullback.
///
/// Leaves (tensors made with `requiringGrad()`, parameters) have no pullback and keep the
/// gradient that `backward()` accumulates into `grad`.
public final class GradNode: @unchecked Sendable {
    /// Name of the op (for error messages and debugging).
    public let op: String
    /// Shape of the tensor this node belongs to.
    public let shape: [Int]
    /// Nodes of the inputs, aligned with the pullback's results (`nil`: no gradient needed).
    let inputs: [GradNode?]
    /// Maps the gradient of the output to the gradients of the inputs (`nil` entries skip).
    let pullback: ((Tensor) -> [Tensor?])?
    /// Accumulated gradient of a leaf.
    public internal(set) var grad: Tensor?

    init(leafShape: [Int]) {
        op = "leaf"
        shape = leafShape
        inputs = []
        pullback = nil
    }

    init(op: String, shape: [Int], inputs: [GradNode?], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.pullback = pullback
    }

    public var isLeaf: Bool { pullback == nil }

    /// Clears an accumulated leaf gradient.
    public func zeroGrad() { grad = nil }

    /// Sets the leaf gradient (used by gradient clipping and tests).
    public func setGrad(_ g: Tensor?) { grad = g }
}

extension Tensor {
    /// Attaches a tape node to `output` when grad mode is on and any of `inputs` requires a
    /// gradient. This is how every differentiable op is defined, in this target and outside:
    /// compute `output` without the tape, then give its pullback, which maps the gradient of
    /// `output` to one gradient per input (`nil` for inputs that need none, checked with
    /// `inputs[i].requiresGrad`). Gradients may have a broadcast shape: `backward()` sums
    /// them down to each input's shape in one central place.
    public static func differentiable(_ op: String, inputs: [Tensor], output: Tensor,
                                      pullback: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return output }
        var result = output
        result.node = GradNode(op: op, shape: output.shape, inputs: inputs.map { $0.node }, pullback: pullback)
        return result
    }
}
