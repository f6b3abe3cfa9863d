import NN
import TensorCore

/// Squeeze-and-Excitation block of seed 000 (catalogue D01), `SEBlock(channel, r=16)`.
///
/// Paper: Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, https://arxiv.org/abs/1709.01507
/// ```
/// s = σ(W₂ δ(W₁ GAP(X))),  Y = s ⊙ X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `fc.0.weight` (C/r, C), `fc.2.weight` (C, C/r).
/// Reference: seed 000 `SEBlock` (same math as seed 002's `SEAttention`, different defaults).
public final class SEBlock: Module, @unchecked Sendable {
    public let avgPool = AdaptiveAvgPool2d(1)
    public let fc: Sequential
    public let channel: Int

    /// - Parameters: channel: C; r: the reduction of the hidden layer (C / r units).
    public init(channel: Int, r: Int = 16) {
        self.channel = channel
        fc = Sequential(Linear(inFeatures: channel, outFeatures: channel / r, bias: false), ReLU(),
                        Linear(inFeatures: channel / r, outFeatures: channel, bias: false), Sigmoid())
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0]
        return x.channelGated(fc(avgPool(x).reshaped(b, channel)).reshaped(b, channel, 1, 1))  // x ⊙ s, fused
    }
}
