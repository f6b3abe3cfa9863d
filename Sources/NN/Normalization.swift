import TensorCore

/// Group normalisation (catalogue A3). Keys `weight`, `bias`.
public final class GroupNorm: Module, @unchecked Sendable {
    public let weight: Parameter?
    public let bias: Parameter?
    public let numGroups: Int, numChannels: Int, eps: Float

    public init(numGroups: Int, numChannels: Int, eps: Float = 1e-5, affine: Bool = true) {
        precondition(numGroups > 0 && numChannels % numGroups == 0, "GroupNorm: \(numChannels) channels not divisible into \(numGroups) groups")
        self.numGroups = numGroups; self.numChannels = numChannels; self.eps = eps
        weight = affine ? Parameter(Tensor.ones([numChannels])) : nil
        bias = affine ? Parameter(Tensor.zeros([numChannels])) : nil
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: numGroups, weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// Layer normalisation over the trailing `normalizedShape` (catalogue A3). Keys `weight`, `bias`.
public final class LayerNorm: Module, @unchecked Sendable {
    public let weight: Parameter?
    public let bias: Parameter?
    public let normalizedShape: [Int], eps: Float

    public init(normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.normalizedShape = normalizedShape; self.eps = eps
        weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(Tensor.zeros(normalizedShape)) : nil
        super.init()
    }

    public convenience init(_ normalizedShape: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true) {
        self.init(normalizedShape: [normalizedShape], eps: eps, elementwiseAffine: elementwiseAffine)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        x.layerNorm(normalizedShape: normalizedShape, weight: weight?.value, bias: bias?.value, eps: eps)
    }
}
