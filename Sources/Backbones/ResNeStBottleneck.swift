import Attention
import NN
import TensorCore

/// timm's `ResNestBottleneck` (expansion 4) as `resnest50d` uses it — radix 2, cardinality 1,
/// avd (a 3×3 average pool of stride s after the split-attention conv, which then has stride 1),
/// not avd_first — with the attention slot (catalogue C4).
/// ```
/// out = relu(bn1(conv1(x)))                       ▸ after_conv1 (group width)
/// out = avd_last(SplitAttn(out))                  ▸ after_conv2 (group width)
/// out = bn3(conv3(out))                           ▸ after_conv3 (planes·4)
/// y = relu(out + downsample(x))                   ▸ after_block
/// ```
/// Keys: `conv1.weight`, `bn1.*`, `conv2.{conv,bn0,fc1,bn1,fc2}.*` (timm's `SplitAttn` = our
/// `SplAtConv2d`), `conv3.weight`, `bn3.*`, plugins, `downsample.1.weight`, `downsample.2.*` (avg_down:
/// `downsample.0` is the parameter-free average pool). Reference: timm/models/resnest.py.
public final class ResNeStBottleneck: Module, @unchecked Sendable {
    public let conv1: Conv2d
    public let bn1: Module
    public let conv2: SplAtConv2d
    public let avdLast: AvgPool2d?
    public let conv3: Conv2d
    public let bn3: Module
    public let plugins: [(String, Module)]
    public let downsample: Module?
    let slots: BlockPlugins

    public override class var stateKeyOverrides: [String: String] { ["plugins": "", "avdLast": "avd_last"] }

    init(inplanes: Int, planes: Int, stride: Int, downsample: Module?, context: BlockContext, radix: Int = 2) {
        let width = Bottleneck.width(planes: planes, context: context)
        conv1 = Conv2d(inChannels: inplanes, outChannels: width, kernelSize: 1, bias: false)
        bn1 = context.norm.make(width)
        conv2 = SplAtConv2d(inChannels: width, channels: width, kernelSize: 3, stride: 1, padding: context.dilation,
                            dilation: context.dilation, groups: context.groups, radix: radix)
        avdLast = stride > 1 ? AvgPool2d(kernelSize: 3, stride: stride, padding: 1) : nil
        conv3 = Conv2d(inChannels: width, outChannels: planes * 4, kernelSize: 1, bias: false)
        bn3 = context.norm.make(planes * 4)
        slots = context.plugins
        plugins = slots.named
        self.downsample = downsample
        super.init()
    }

    var lastNorm: Module { bn3 }

    public override func forward(_ x: Tensor) -> Tensor {
        var out = slots.apply(.afterConv1, normReLU(bn1, conv1(x)))
        out = conv2(out)
        if let avdLast { out = avdLast(out) }
        out = slots.apply(.afterConv2, out)
        if !slots.has(.afterConv3) {
            let h = conv3(out)
            return slots.apply(.afterBlock, normAddReLU(bn3, h, downsampled(downsample, x)))
        }
        out = slots.apply(.afterConv3, bn3(conv3(out)))
        return slots.apply(.afterBlock, out.addingReLU(downsampled(downsample, x)))
    }
}
