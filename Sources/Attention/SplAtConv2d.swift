import NN
import TensorCore

/// Split-attention convolution of ResNeSt, seed 000 (catalogue D39 / C4), `SplAtConv2d(in_channels, channels,
/// kernel_size=3, stride=1, padding=1, dilation=1, groups=1, bias=False, radix=2, reduction_factor=4)`.
///
/// Paper: Zhang et al., "ResNeSt: Split-Attention Networks", 2020, https://arxiv.org/abs/2004.08955
/// ```
/// U  = ReLU(BN0(conv_k(X)))               channels·radix maps, groups·radix groups
/// Uᵣ = U split into radix chunks of `channels`;  s = GAP(Σᵣ Uᵣ)
/// z  = fc2(ReLU(BN1(fc1(s))))             grouped 1×1 convs, channels → inter → channels·radix
/// a  = rSoftMax(z): softmax over the radix within each cardinal group (sigmoid when radix = 1)
/// Y  = Σᵣ aᵣ ⊙ Uᵣ                         (radix = 1: Y = a ⊙ U)
/// ```
/// inter = max(in_channels·radix / reduction_factor, 32).
/// Shapes: (N, in_channels, H, W) → (N, channels, H', W') with the conv's output size.
/// State-dict keys: `conv.weight` (channels·radix, in/(groups·radix), k, k), `conv.bias` (when bias),
/// `bn0.*`, `fc1.weight`, `fc1.bias`, `bn1.*`, `fc2.weight`, `fc2.bias`.
/// Reference: seed 000 `SplAtConv2d` / `rSoftMax`; zhanghang1989/ResNeSt `resnest/torch/models/splat.py`
/// (with a BatchNorm2d norm layer, no rectified conv, no DropBlock).
public final class SplAtConv2d: Module, @unchecked Sendable {
    /// Softmax over the radix axis of (N, cardinality, radix, rest), returned flat as (N, radix·cardinality·rest);
    /// sigmoid when radix = 1. Seed 000's `rSoftMax`.
    public final class RSoftMax: Module, @unchecked Sendable {
        public let radix: Int, cardinality: Int

        public init(radix: Int, cardinality: Int) {
            self.radix = radix
            self.cardinality = cardinality
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let batch = x.shape[0]
            guard radix > 1 else { return x.sigmoid() }
            let rest = x.count / (batch * cardinality * radix)
            return x.reshaped(batch, cardinality, radix, rest).transposed(1, 2).softmax(axis: 1).reshaped(batch, -1)
        }
    }

    public let conv: Conv2d
    public let bn0: BatchNorm2d
    public let relu = ReLU()
    public let fc1: Conv2d
    public let bn1: BatchNorm2d
    public let fc2: Conv2d
    public let rsoftmax: RSoftMax
    public let radix: Int, cardinality: Int, channels: Int

    public init(inChannels: Int, channels: Int, kernelSize: Int = 3, stride: Int = 1, padding: Int = 1, dilation: Int = 1,
                groups: Int = 1, bias: Bool = false, radix: Int = 2, reductionFactor: Int = 4) {
        let inter = Swift.max(inChannels * radix / reductionFactor, 32)
        self.radix = radix
        cardinality = groups
        self.channels = channels
        conv = Conv2d(inChannels: inChannels, outChannels: channels * radix, kernelSize: kernelSize, stride: stride,
                      padding: padding, dilation: dilation, groups: groups * radix, bias: bias)
        bn0 = BatchNorm2d(numFeatures: channels * radix)
        fc1 = Conv2d(inChannels: channels, outChannels: inter, kernelSize: 1, groups: groups)
        bn1 = BatchNorm2d(numFeatures: inter)
        fc2 = Conv2d(inChannels: inter, outChannels: channels * radix, kernelSize: 1, groups: groups)
        rsoftmax = RSoftMax(radix: radix, cardinality: groups)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let x = relu(bn0(conv(input)))
        let batch = x.shape[0]
        guard radix > 1 else {
            let gap = relu(bn1(fc1(x.adaptiveAvgPool2d(1))))
            return rsoftmax(fc2(gap)).reshaped(batch, -1, 1, 1) * x
        }
        let splited = x.split(size: channels, axis: 1)
        let gap = splited.dropFirst().reduce(splited[0]) { $0 + $1 }.adaptiveAvgPool2d(1)
        let atten = rsoftmax(fc2(relu(bn1(fc1(gap))))).reshaped(batch, -1, 1, 1)
        let attens = atten.split(size: channels, axis: 1)
        var out = attens[0] * splited[0]
        for r in 1..<radix { out = out + attens[r] * splited[r] }
        return out
    }
}
