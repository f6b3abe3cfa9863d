import NN
import TensorCore

/// Style-based recalibration (catalogue D11).
///
/// Paper: Lee et al., "SRM: A Style-based Recalibration Module for CNNs", ICCV 2019, https://arxiv.org/abs/1903.10829
/// ```
/// u = [mean(X), std(X)]  per channel (std unbiased)      (N, C, 2)
/// g = σ(BN(CFC(u)))       CFC: grouped Conv1d k=2, one group per channel
/// Y = X ⊙ g
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `cfc.weight` (C, 1, 2), `bn.{weight,bias,running_mean,running_var,num_batches_tracked}`.
/// Reference: seed 004 `SRMLayer`; official hyunjaelee410/style-based-recalibration-module.
/// Quirk: `reduction` is accepted and ignored, as in the reference.
public final class SRMLayer: Module, @unchecked Sendable {
    public let cfc: Conv1d
    public let bn: BatchNorm1d

    public init(channel: Int, reduction: Int? = nil) {
        cfc = Conv1d(inChannels: channel, outChannels: channel, kernelSize: 2, groups: channel, bias: false)
        bn = BatchNorm1d(numFeatures: channel)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1]
        let flat = x.reshaped(b, c, x.shape[2] * x.shape[3])
        let u = Tensor.cat([flat.mean(axis: 2, keepDims: true), flat.std(axes: [2], keepDims: true)], axis: 2)
        let g = bn(cfc(u)).sigmoid()
        return x.channelGated(g.reshaped(b, c, 1, 1))
    }
}
