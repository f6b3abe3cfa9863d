import NN
import TensorCore

/// Spatial Group-wise Enhance (catalogue D07), External-Attention-pytorch's `SpatialGroupEnhance`.
///
/// Paper: Li et al., "Spatial Group-wise Enhance", 2019, https://arxiv.org/abs/1905.09646
/// ```
/// per group g: t = Σ_c x ⊙ GAP(x);  t̂ = (t − mean(t)) / (std(t) + 1e−5)   (unbiased std)
/// Y = x ⊙ σ(weight_g · t̂ + bias_g)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C divisible by `groups`.
/// State-dict keys: `weight`, `bias` (1, groups, 1, 1), initialised to zero as the reference.
/// Reference: seed 002; External-Attention-pytorch `model/attention/SGE.py`.
public final class SpatialGroupEnhance: Module, @unchecked Sendable {
    public let avgPool = AdaptiveAvgPool2d(1)
    public let weight: Parameter
    public let bias: Parameter
    public let sig = Sigmoid()
    public let groups: Int

    public init(groups: Int = 8) {
        self.groups = groups
        weight = Parameter(Tensor.zeros([1, groups, 1, 1]))
        bias = Parameter(Tensor.zeros([1, groups, 1, 1]))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[1] % groups == 0,
                   "SpatialGroupEnhance: input \(x.shape) is not (N, C, H, W) with C divisible by \(groups) groups")
        return fusedForward(x)  // SpatialGroupEnhance+Fused.swift: `composedForward` in one pass
    }

    /// The composed form of the forward (the reference's steps), kept as the specification of
    /// `fusedForward` and checked against it in tests.
    public func composedForward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let xg = x.reshaped(b * groups, c / groups, h, w)
        var t = (xg * avgPool(xg)).sum(axis: 1).reshaped(b * groups, h * w)
        t = t - t.mean(axis: 1, keepDims: true)
        t = t / (t.std(axes: [1], keepDims: true) + 1e-5)
        let gate = (t.reshaped(b, groups, h, w) * weight.value + bias.value).reshaped(b * groups, 1, h, w)
        return (xg * sig(gate)).reshaped(b, c, h, w)
    }
}
