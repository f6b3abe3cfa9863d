import NN
import TensorCore

/// Shuffle Attention, SA-Net (catalogue D05), External-Attention-pytorch's `ShuffleAttention`.
///
/// Paper: Zhang & Yang, "SA-Net: Shuffle Attention for Deep CNNs", ICASSP 2021, https://arxiv.org/abs/2102.00240
/// ```
/// X → G groups; each split into X₀, X₁ (C/2G channels)
/// channel branch: X₀ · σ(cweight · GAP(X₀) + cbias)
/// spatial branch: X₁ · σ(sweight · GN(X₁) + sbias)
/// concat, then channel shuffle with 2 groups
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C divisible by 2G.
/// State-dict keys: `cweight`, `cbias`, `sweight`, `sbias` (1, C/2G, 1, 1), `gn.weight`, `gn.bias`.
/// Reference: seed 002; External-Attention-pytorch `model/attention/ShuffleAttention.py`.
/// Quirk: `reduction` is accepted and unused, as in the reference.
public final class ShuffleAttention: Module, @unchecked Sendable {
    public let avgPool = AdaptiveAvgPool2d(1)
    public let gn: GroupNorm
    public let cweight: Parameter
    public let cbias: Parameter
    public let sweight: Parameter
    public let sbias: Parameter
    public let sigmoid = Sigmoid()
    public let groups: Int

    public init(channel: Int = 512, reduction: Int = 16, G: Int = 8) {
        precondition(G > 0 && channel % (2 * G) == 0, "ShuffleAttention: channel \(channel) not divisible by 2·G = \(2 * G)")
        groups = G
        let k = channel / (2 * G)
        gn = GroupNorm(numGroups: k, numChannels: k)
        cweight = Parameter(Tensor.zeros([1, k, 1, 1]))
        cbias = Parameter(Tensor.ones([1, k, 1, 1]))
        sweight = Parameter(Tensor.zeros([1, k, 1, 1]))
        sbias = Parameter(Tensor.ones([1, k, 1, 1]))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[1] % (2 * groups) == 0,
                   "ShuffleAttention: input \(x.shape) is not (N, C, H, W) with C divisible by 2·G = \(2 * groups)")
        return fusedForward(x)  // ShuffleAttention+Fused.swift: `composedForward` in one pass
    }

    /// The composed form of the forward (the reference's steps), kept as the specification of
    /// `fusedForward` and checked against it in tests.
    public func composedForward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let parts = x.reshaped(b * groups, c / groups, h, w).chunked(2, axis: 1)
        let xc = parts[0] * sigmoid(cweight.value * avgPool(parts[0]) + cbias.value)
        let xs = parts[1] * sigmoid(sweight.value * gn(parts[1]) + sbias.value)
        let out = Tensor.cat([xc, xs], axis: 1).reshaped(b, 2, c / 2, h, w)
        // channel shuffle (2 groups): (b, 2, c/2, h, w) → (b, c/2, 2, h, w)
        return out.permuted(0, 2, 1, 3, 4).reshaped(b, c, h, w)
    }
}
