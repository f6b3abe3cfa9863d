import NN
import TensorCore

/// RCAN channel attention (catalogue D16).
///
/// Paper: Zhang et al., "Image Super-Resolution Using Very Deep Residual Channel Attention Networks", ECCV 2018, https://arxiv.org/abs/1807.02758
/// ```
/// Y = X ⊙ σ(Conv1×1(ReLU(Conv1×1(GAP(X)))))       C → C/r → C, with biases
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `conv_du.0.{weight,bias}`, `conv_du.2.{weight,bias}`.
/// Reference: seed 004 `CALayer`; official yulunzhang/RCAN `RCAN_TrainCode/code/model/rcan.py`.
public final class CALayer: Module, @unchecked Sendable {
    public let avgPool = AdaptiveAvgPool2d(1)
    public let convDu: Sequential

    public init(channel: Int, reduction: Int = 16) {
        convDu = Sequential(Conv2d(inChannels: channel, outChannels: channel / reduction, kernelSize: 1), ReLU(),
                            Conv2d(inChannels: channel / reduction, outChannels: channel, kernelSize: 1), Sigmoid())
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor { x.channelGated(convDu(avgPool(x))) }
}
