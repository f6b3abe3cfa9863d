import NN
import TensorCore

/// Squeeze-and-Excitation channel attention (catalogue D01), External-Attention-pytorch's
/// `SEAttention`.
///
/// Paper: Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018, https://arxiv.org/abs/1709.01507
/// ```
/// s = σ(W₂ δ(W₁ GAP(X))),  Y = s ⊙ X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `fc.0.weight` (C/r, C), `fc.2.weight` (C, C/r).
/// Reference: seed 002; External-Attention-pytorch `model/attention/SEAttention.py`.
/// Deviation: the seed's code lacks `self.avg_pool`; the reference's AdaptiveAvgPool2d(1) is used.
public final class SEAttention: Module, @unchecked Sendable {
    public let avgPool = AdaptiveAvgPool2d(1)
    public let fc: Sequential
    public let channel: Int

    public init(channel: Int = 512, reduction: Int = 16) {
        self.channel = channel
        fc = Sequential(Linear(inFeatures: channel, outFeatures: channel / reduction, bias: false), ReLU(),
                        Linear(inFeatures: channel / reduction, outFeatures: channel, bias: false), Sigmoid())
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0]
        let y = fc(avgPool(x).reshaped(b, channel)).reshaped(b, channel, 1, 1)
        return x.channelGated(y)  // x ⊙ y, fused (no full-size temporaries in the pullback)
    }
}
