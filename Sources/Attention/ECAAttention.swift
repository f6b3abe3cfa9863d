import NN
import TensorCore

/// Efficient Channel Attention with a fixed kernel (catalogue D04), External-Attention-pytorch's `ECAAttention`.
///
/// Paper: Wang et al., "ECA-Net: Efficient Channel Attention for Deep CNNs", CVPR 2020, https://arxiv.org/abs/1910.03151
/// ```
/// Y = σ(Conv1D_k(GAP(X))) ⊙ X       1-D conv across channels, padding (k−1)/2
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `conv.weight` (1, 1, k), `conv.bias` (1).
/// Reference: seed 002; External-Attention-pytorch `model/attention/ECAAttention.py`.
public final class ECAAttention: Module, @unchecked Sendable {
    public let gap = AdaptiveAvgPool2d(1)
    public let conv: Conv1d
    public let sigmoid = Sigmoid()

    public init(kernelSize: Int = 3) {
        conv = Conv1d(inChannels: 1, outChannels: 1, kernelSize: kernelSize, padding: (kernelSize - 1) / 2)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1]
        let y = sigmoid(conv(gap(x).reshaped(n, 1, c)))
        return x.channelGated(y.reshaped(n, c, 1, 1))  // x ⊙ y, fused
    }
}
