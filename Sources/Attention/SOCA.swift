import NN
import TensorCore

/// Second-order channel attention of SAN (catalogue D18).
///
/// Paper: Dai et al., "Second-order Attention Network for Single Image Super-Resolution", CVPR 2019
/// (https://openaccess.thecvf.com/content_CVPR_2019/html/Dai_Second-Order_Attention_Network_for_Single_Image_Super-Resolution_CVPR_2019_paper.html)
/// ```
/// Σ = X Î Xᵀ                     channel covariance (MPN-COV covpool), (N, C, C)
/// S = NS-sqrt(Σ), 5 iterations    Newton–Schulz with trace normalisation
/// z_c = mean over rows of S       (N, C)
/// Y = X ⊙ σ(Conv1×1(ReLU(Conv1×1(z))))      C → C/r → C
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `conv_du.0.{weight,bias}`, `conv_du.2.{weight,bias}` (`max_pool` has none).
/// Reference: seed 004 `SOCA`; official daitao/SAN `TrainCode/model/MPNCOV/python/MPNCOV.py` and `san.py`.
/// Quirk: like the reference, inputs wider or taller than 1000 are centre-cropped to 1000 before pooling
/// (the unused `max_pool` is kept); the reference's exact-1000 edge case crops from a negative offset there,
/// here such an axis is left whole.
public final class SOCA: Module, @unchecked Sendable {
    public let maxPool = MaxPool2d(kernelSize: 2)
    public let convDu: Sequential

    public init(channel: Int, reduction: Int = 8) {
        convDu = Sequential(Conv2d(inChannels: channel, outChannels: channel / reduction, kernelSize: 1), ReLU(),
                            Conv2d(inChannels: channel / reduction, outChannels: channel, kernelSize: 1), Sigmoid())
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        var sub = x
        if h > 1000 { sub = sub.slice(axis: 2, start: (h - 1000) / 2, end: (h - 1000) / 2 + 1000) }
        if w > 1000 { sub = sub.slice(axis: 3, start: (w - 1000) / 2, end: (w - 1000) / 2 + 1000) }
        let s = MPNCOV.sqrtm(MPNCOV.covariance(sub), iterations: 5)
        return x.channelGated(convDu(s.mean(axis: 1).reshaped(b, c, 1, 1)))
    }
}
