import NN
import TensorCore

/// Convolutional Block Attention Module of seed 000 (catalogue D02), `CBAM(planes)`: channel
/// attention, then spatial attention, no residual.
///
/// Paper: Woo et al., "CBAM: Convolutional Block Attention Module", ECCV 2018, https://arxiv.org/abs/1807.06521
/// ```
/// Mc = σ(MLP(AvgPool(X)) + MLP(MaxPool(X)))     shared 1×1-conv MLP, C → C/16 → C
/// X' = Mc ⊙ X
/// Ms = σ(conv7×7([mean_c(X'); max_c(X')]))       no bias
/// Y  = Ms ⊙ X'
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `ca.sharedMLP.0.weight` (C/16, C, 1, 1), `ca.sharedMLP.2.weight` (C, C/16, 1, 1),
/// `sa.conv.weight` (1, 2, 7, 7).
/// Reference: seed 000 `CBAM`, `ChannelAttention(in_planes, ratio=16)`, `SpatialAttention(kernel_size=7)`.
/// Deviation: seed 001's `ChannelAttention(in_planes, rotio=16)` uses both `rotio` and an undefined
/// `ratio`; the argument is `ratio`, as in seed 000 and the official code.
public final class CBAM: Module, @unchecked Sendable {
    /// Channel gate with a shared MLP over the average- and max-pooled vectors.
    public final class ChannelAttention: Module, @unchecked Sendable {
        public let avgPool = AdaptiveAvgPool2d(1)
        public let maxPool = AdaptiveMaxPool2d(1)
        public let sharedMLP: Sequential
        public let sigmoid = Sigmoid()

        public override class var stateKeyOverrides: [String: String] { ["sharedMLP": "sharedMLP"] }

        public init(inPlanes: Int, ratio: Int = 16) {
            sharedMLP = Sequential(Conv2d(inChannels: inPlanes, outChannels: inPlanes / ratio, kernelSize: 1, bias: false), ReLU(),
                                   Conv2d(inChannels: inPlanes / ratio, outChannels: inPlanes, kernelSize: 1, bias: false))
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            // Both pooled vectors go through the shared MLP in one batch: [avg; max] along N.
            let n = x.shape[0]
            let both = sharedMLP(Tensor.cat([avgPool(x), maxPool(x)], axis: 0))
            return sigmoid(both.slice(axis: 0, start: 0, end: n) + both.slice(axis: 0, start: n, end: 2 * n))
        }
    }

    /// Spatial gate: conv over the channel mean and max maps (kernel 3 or 7, no bias).
    public final class SpatialAttention: Module, @unchecked Sendable {
        public let conv: Conv2d
        public let sigmoid = Sigmoid()

        /// - Parameter kernelSize: 3 or 7 (the reference asserts this).
        public init(kernelSize: Int = 7) {
            precondition(kernelSize == 3 || kernelSize == 7, "CBAM.SpatialAttention: kernel size must be 3 or 7")
            conv = Conv2d(inChannels: 2, outChannels: 1, kernelSize: kernelSize, padding: kernelSize == 7 ? 3 : 1, bias: false)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let pooled = Tensor.cat([x.mean(axis: 1, keepDims: true), x.max(axis: 1, keepDims: true).values], axis: 1)
            return sigmoid(conv(pooled))
        }
    }

    public let ca: ChannelAttention
    public let sa: SpatialAttention

    public init(planes: Int) {
        ca = ChannelAttention(inPlanes: planes)
        sa = SpatialAttention()
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let out = x.channelGated(ca(x))  // Mc(x) ⊙ x, fused
        return sa(out) * out
    }
}
