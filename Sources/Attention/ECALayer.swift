import Foundation
import NN
import TensorCore

/// Efficient Channel Attention with the adaptive kernel size (catalogue D04), official ECA-Net's
/// `eca_layer` with k chosen from the channel count.
///
/// Paper: Wang et al., "ECA-Net: Efficient Channel Attention for Deep CNNs", CVPR 2020, https://arxiv.org/abs/1910.03151
/// ```
/// k = odd(|(log2(C) + b) / γ|)       (t, or t + 1 when t is even)
/// Y = σ(Conv1D_k(GAP(X))) ⊙ X        1-D conv across channels, no bias, padding (k−1)/2
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `conv.weight` (1, 1, k).
/// Reference: seed 004 `eca_layer`; official BangguWu/ECANet (`models/eca_module.py`, adaptive k of `eca_resnet`).
public final class ECALayer: Module, @unchecked Sendable {
    public let avgPool = AdaptiveAvgPool2d(1)
    public let conv: Conv1d
    public let sigmoid = Sigmoid()
    /// The adaptive kernel size.
    public let kSize: Int

    public init(channel: Int, gamma: Int = 2, b: Int = 1) {
        kSize = ECALayer.kernelSize(channel: channel, gamma: gamma, b: b)
        conv = Conv1d(inChannels: 1, outChannels: 1, kernelSize: kSize, padding: (kSize - 1) / 2, bias: false)
        super.init()
    }

    /// odd(|(log2(C) + b) / γ|) as the official code computes it (truncation, then the next odd number).
    public static func kernelSize(channel: Int, gamma: Int, b: Int) -> Int {
        let t = Int(abs((log2(Double(channel)) + Double(b)) / Double(gamma)))
        return t % 2 == 1 ? t : t + 1
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1]
        let y = sigmoid(conv(avgPool(x).reshaped(n, 1, c)))
        return x.channelGated(y.reshaped(n, c, 1, 1))
    }
}
