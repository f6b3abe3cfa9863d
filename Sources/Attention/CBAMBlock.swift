import NN
import TensorCore

/// CBAM as a residual block (catalogue D02), External-Attention-pytorch's `CBAMBlock`.
///
/// Paper: Woo et al., "CBAM: Convolutional Block Attention Module", ECCV 2018, https://arxiv.org/abs/1807.06521
/// ```
/// Mc = σ(MLP(AvgPool(X)) + MLP(MaxPool(X)))     shared 1×1-conv MLP
/// Ms = σ(conv_k([max_c(X'); mean_c(X')]))        X' = Mc ⊙ X
/// Y  = Ms ⊙ X' + X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `ca.se.0.weight`, `ca.se.2.weight`, `sa.conv.weight`, `sa.conv.bias`.
/// Reference: seed 002; External-Attention-pytorch `model/attention/CBAM.py`.
public final class CBAMBlock: Module, @unchecked Sendable {
    /// The shared-MLP channel gate of CBAMBlock.
    public final class ChannelAttention: Module, @unchecked Sendable {
        public let maxpool = AdaptiveMaxPool2d(1)
        public let avgpool = AdaptiveAvgPool2d(1)
        public let se: Sequential
        public let sigmoid = Sigmoid()

        public init(channel: Int, reduction: Int = 16) {
            se = Sequential(Conv2d(inChannels: channel, outChannels: channel / reduction, kernelSize: 1, bias: false), ReLU(),
                            Conv2d(inChannels: channel / reduction, outChannels: channel, kernelSize: 1, bias: false))
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            // Both pooled vectors go through the MLP in one batch: [max; avg] along N.
            let n = x.shape[0]
            let both = se(Tensor.cat([maxpool(x), avgpool(x)], axis: 0))
            return sigmoid(both.slice(axis: 0, start: 0, end: n) + both.slice(axis: 0, start: n, end: 2 * n))
        }
    }

    /// The channel-pooled spatial gate of CBAMBlock.
    public final class SpatialAttention: Module, @unchecked Sendable {
        public let conv: Conv2d
        public let sigmoid = Sigmoid()

        public init(kernelSize: Int = 7) {
            conv = Conv2d(inChannels: 2, outChannels: 1, kernelSize: kernelSize, padding: kernelSize / 2)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let pooled = Tensor.cat([x.maxValues(axis: 1, keepDims: true), x.mean(axis: 1, keepDims: true)], axis: 1)
            return sigmoid(conv(pooled))
        }
    }

    public let ca: ChannelAttention
    public let sa: SpatialAttention

    public init(channel: Int = 512, reduction: Int = 16, kernelSize: Int = 49) {
        ca = ChannelAttention(channel: channel, reduction: reduction)
        sa = SpatialAttention(kernelSize: kernelSize)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let out = x.channelGated(ca(x))  // x ⊙ Mc(x), fused
        return out * sa(out) + x
    }
}
