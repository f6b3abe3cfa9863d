import TensorCore

/// `y = x·Wᵀ + b` (torch.nn.Linear). Keys `weight` (out, in), `bias` (out).
public final class Linear: Module, @unchecked Sendable {
    public let weight: Parameter
    public let bias: Parameter?

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        weight = Parameter(Tensor.zeros([outFeatures, inFeatures]))
        self.bias = bias ? Parameter(Tensor.zeros([outFeatures])) : nil
        super.init()
        Init.defaultLayer(weight: weight, bias: self.bias)
    }

    public override func forward(_ x: Tensor) -> Tensor { x.linear(weight: weight.value, bias: bias?.value) }
}
