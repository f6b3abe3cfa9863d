import Attention
import NN
import TensorCore

/// timm's `SEModule(channels)` (timm/layers/squeeze_excite.py), the attention of timm's `seresnet*`:
/// 1×1 convolutions with biases, reduction 1/16 rounded to a multiple of 8.
/// ```
/// s = σ(fc2(ReLU(fc1(mean_hw(X))))),  Y = s ⊙ X       fc1: C → rd, fc2: rd → C, rd = make_divisible(C/16, 8)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `fc1.weight` (rd, C, 1, 1), `fc1.bias`, `fc2.weight` (C, rd, 1, 1), `fc2.bias`.
/// Not seed 000's `SEBlock` / senet.pytorch's `SELayer` (linear layers without biases, C/16): same
/// math, other parameters.
public final class TimmSEModule: Module, @unchecked Sendable {
    public let fc1: Conv2d
    public let fc2: Conv2d

    public init(channels: Int) {
        let rd = GatherExcite.makeDivisible(Double(channels) / 16, divisor: 8)   // timm's make_divisible(C/16, 8)
        fc1 = Conv2d(inChannels: channels, outChannels: rd, kernelSize: 1)
        fc2 = Conv2d(inChannels: rd, outChannels: channels, kernelSize: 1)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        x.channelGated(fc2(fc1(x.adaptiveAvgPool2d(1)).relu()).sigmoid())
    }
}
