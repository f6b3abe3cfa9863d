import NN
import TensorCore

/// Global Attention Mechanism (catalogue D09), seed 002's `GAM_Attention`.
///
/// Paper: Liu et al., "Global Attention Mechanism: Retain Information to Enhance Channel-Spatial
/// Interactions", 2021, https://arxiv.org/abs/2112.05561
/// ```
/// X' = X ⊙ MLP(X permuted to (N, HW, C)) permuted back        (X ⊙ σ(MLP(…)) with channelSigmoid)
/// Y  = X' ⊙ σ(BN(conv7(ReLU(BN(conv7(X'))))))
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W) (out_channels = in_channels for the product).
/// State-dict keys: `channel_attention.0.*`, `channel_attention.2.*`, `spatial_attention.0.*`,
/// `spatial_attention.1.*` (BN), `spatial_attention.3.*`, `spatial_attention.4.*` (BN).
/// Reference: seed 002 (GAM_Attention).
/// Quirk: by default, as seed 002, the input is multiplied by the channel MLP's raw output; the
/// paper's channel sub-module ends in a sigmoid, as External-Attention-pytorch's current
/// `GAM_Attention` (`.sigmoid()` on the permuted MLP output) — `channelSigmoid: true` (CLI
/// `--arg channel_sigmoid=1`) gives that form, with the same parameters and keys.
public final class GAMAttention: Module, @unchecked Sendable {
    public let channelAttention: Sequential
    public let spatialAttention: Sequential
    /// The paper's form: σ on the channel MLP's output before the product (seed 002 has none).
    public let channelSigmoid: Bool

    public init(inChannels: Int, outChannels: Int, rate: Int = 4, channelSigmoid: Bool = false) {
        self.channelSigmoid = channelSigmoid
        let r = inChannels / rate
        channelAttention = Sequential(Linear(inFeatures: inChannels, outFeatures: r), ReLU(),
                                      Linear(inFeatures: r, outFeatures: inChannels))
        spatialAttention = Sequential(Conv2d(inChannels: inChannels, outChannels: r, kernelSize: 7, padding: 3),
                                      BatchNorm2d(numFeatures: r), ReLU(),
                                      Conv2d(inChannels: r, outChannels: outChannels, kernelSize: 7, padding: 3),
                                      BatchNorm2d(numFeatures: outChannels))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let mlp = channelAttention(x.permuted(0, 2, 3, 1)).permuted(0, 3, 1, 2)
        let x1 = x * (channelSigmoid ? mlp.sigmoid() : mlp)
        return x1 * spatialAttention(x1).sigmoid()
    }
}
