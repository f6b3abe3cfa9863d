import NN
import TensorCore

/// Polarized Self-Attention, parallel and sequential (catalogue D06), External-Attention-pytorch's
/// `ParallelPolarizedSelfAttention` / `SequentialPolarizedSelfAttention`.
///
/// Paper: Liu et al., "Polarized Self-Attention: Towards High-quality Pixel-wise Regression", 2021,
/// https://arxiv.org/abs/2107.00782
/// ```
/// channel: A_ch = σ(LN(W_z((W_v X) · softmax_HW(W_q X))))        (N, C, 1, 1)
/// spatial: A_sp = σ(softmax_C(GAP(W_q' X)) · (W_v' X))          (N, 1, H, W)
/// parallel:   Y = A_ch ⊙ X + A_sp ⊙ X
/// sequential: Y = A_sp(Z) ⊙ Z,  Z = A_ch ⊙ X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C even.
/// State-dict keys: `ch_wv.*`, `ch_wq.*`, `ch_wz.*`, `ln.weight`, `ln.bias`, `sp_wv.*`, `sp_wq.*`.
/// Reference: seed 002; External-Attention-pytorch `model/attention/PolarizedSelfAttention.py`.
public class PolarizedSelfAttention: Module, @unchecked Sendable {
    public let chWv: Conv2d
    public let chWq: Conv2d
    public let chWz: Conv2d
    public let ln: LayerNorm
    public let spWv: Conv2d
    public let spWq: Conv2d
    public let agp = AdaptiveAvgPool2d(1)
    public let channel: Int

    public init(channel: Int = 512) {
        precondition(channel % 2 == 0, "PolarizedSelfAttention: channel \(channel) must be even")
        self.channel = channel
        chWv = Conv2d(inChannels: channel, outChannels: channel / 2, kernelSize: 1)
        chWq = Conv2d(inChannels: channel, outChannels: 1, kernelSize: 1)
        chWz = Conv2d(inChannels: channel / 2, outChannels: channel, kernelSize: 1)
        ln = LayerNorm(channel)
        spWv = Conv2d(inChannels: channel, outChannels: channel / 2, kernelSize: 1)
        spWq = Conv2d(inChannels: channel, outChannels: channel / 2, kernelSize: 1)
        super.init()
    }

    /// Channel-only branch weight (N, C, 1, 1).
    func channelWeight(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1]
        let wv = chWv(x).reshaped(b, c / 2, -1)
        let wq = chWq(x).reshaped(b, -1, 1).softmax(axis: 1)
        let wz = wv.matmul(wq).reshaped(b, c / 2, 1, 1)
        return ln(chWz(wz).reshaped(b, 1, c)).sigmoid().reshaped(b, c, 1, 1)
    }

    /// Spatial-only branch weight (N, 1, H, W).
    func spatialWeight(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let wv = spWv(x).reshaped(b, c / 2, -1)
        let wq = agp(spWq(x)).reshaped(b, 1, c / 2).softmax(axis: -1)
        return wq.matmul(wv).reshaped(b, 1, h, w).sigmoid()
    }
}

/// Parallel PSA: Y = A_ch ⊙ X + A_sp ⊙ X (catalogue D06).
public final class ParallelPolarizedSelfAttention: PolarizedSelfAttention, @unchecked Sendable {
    public override func forward(_ x: Tensor) -> Tensor { x * (channelWeight(x) + spatialWeight(x)) }
}

/// Sequential PSA: Y = A_sp(Z) ⊙ Z with Z = A_ch ⊙ X (catalogue D06).
public final class SequentialPolarizedSelfAttention: PolarizedSelfAttention, @unchecked Sendable {
    public override func forward(_ x: Tensor) -> Tensor {
        let z = channelWeight(x) * x
        return spatialWeight(z) * z
    }
}
