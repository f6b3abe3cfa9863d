import TensorCore

// Activation modules, so that Sequential indices match PyTorch's.

public final class ReLU: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.relu() }
}

public final class ReLU6: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.relu6() }
}

public final class LeakyReLU: Module, @unchecked Sendable {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01, inplace: Bool = false) { self.negativeSlope = negativeSlope; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.leakyRelu(negativeSlope: negativeSlope) }
}

public final class Sigmoid: Module, @unchecked Sendable {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() }
}

public final class Tanh: Module, @unchecked Sendable {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.tanh() }
}

public final class Hardsigmoid: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.hardsigmoid() }
}

public final class Hardswish: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.hardswish() }
}

public final class GELU: Module, @unchecked Sendable {
    public let approximateTanh: Bool
    public init(approximate: String = "none") { approximateTanh = approximate == "tanh"; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.gelu(approximateTanh: approximateTanh) }
}

public final class SiLU: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.silu() }
}

public final class Softplus: Module, @unchecked Sendable {
    public let beta: Float, threshold: Float
    public init(beta: Float = 1, threshold: Float = 20) { self.beta = beta; self.threshold = threshold; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.softplus(beta: beta, threshold: threshold) }
}

public final class Softmax: Module, @unchecked Sendable {
    public let dim: Int
    public init(dim: Int) { self.dim = dim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.softmax(axis: dim) }
}
