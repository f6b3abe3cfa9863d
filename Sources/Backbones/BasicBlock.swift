import NN
import TensorCore

/// torchvision's `BasicBlock` (expansion 1) with the attention slot (catalogue C1).
/// ```
/// out = relu(bn1(conv1(x)))            ▸ after_conv1
/// out = bn2(conv2(out))                ▸ after_conv3 (after_conv2 is the same place: no ReLU here)
/// out = relu(out + downsample(x))      ▸ after_block
/// ```
/// Keys: `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`, plugins (`se.*`, `after_conv3.*`, …),
/// `downsample.0.weight`, `downsample.1.*` — torchvision's, and senet.pytorch's `SEBasicBlock`
/// with `se`. Reference: torchvision/models/resnet.py `BasicBlock`.
/// Deviation: `after_conv2` sits after bn2 with no ReLU between (the block has no conv3), so it is
/// the same place as `after_conv3`.
public final class BasicBlock: Module, @unchecked Sendable {
    public static let expansion = 1
    public let conv1: Conv2d
    public let bn1: Module
    public let conv2: Conv2d
    public let bn2: Module
    public let plugins: [(String, Module)]
    public let downsample: Module?
    let slots: BlockPlugins

    public override class var stateKeyOverrides: [String: String] { ["plugins": ""] }

    init(inplanes: Int, planes: Int, stride: Int, downsample: Module?, context: BlockContext) throws {
        guard context.groups == 1, context.baseWidth == 64 else {
            throw BackboneError("BasicBlock only supports groups=1 and width_per_group=64 (got \(context.groups), \(context.baseWidth))")
        }
        guard context.dilation == 1 else { throw BackboneError("BasicBlock does not support dilation > 1 (replace_stride_with_dilation)") }
        conv1 = Conv2d(inChannels: inplanes, outChannels: planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = context.norm.make(planes)
        conv2 = Conv2d(inChannels: planes, outChannels: planes, kernelSize: 3, padding: 1, bias: false)
        bn2 = context.norm.make(planes)
        slots = context.plugins
        plugins = slots.named
        self.downsample = downsample
        super.init()
    }

    /// The channel count at each slot position.
    static func channels(planes: Int) -> (SlotPosition) -> Int { { _ in planes } }

    /// The BatchNorm whose weight `zero_init_residual` zeroes.
    var lastNorm: Module { bn2 }

    public override func forward(_ x: Tensor) -> Tensor {
        // Inference with constant norms: each conv with its norm, ReLU and residual sum in one pass (NormReLU.swift).
        var out = slots.apply(.afterConv1, fusedConvNorm(conv1, bn1, x, relu: true) ?? normReLU(bn1, conv3x3RowSplit(conv1, x)))
        let identity = downsampled(downsample, x)
        if !slots.has(.afterConv2), !slots.has(.afterConv3) {
            let y = fusedConvNorm(conv2, bn2, out, residual: identity, relu: true)
                ?? normAddReLU(bn2, conv3x3RowSplit(conv2, out), identity)
            return slots.apply(.afterBlock, y)
        }
        out = bn2(conv3x3RowSplit(conv2, out))
        out = slots.apply(.afterConv3, slots.apply(.afterConv2, out))
        return slots.apply(.afterBlock, out.addingReLU(identity))
    }
}

/// torchvision's `Bottleneck` (expansion 4; stride on the 3×3 conv, "ResNet V1.5") with the
/// attention slot (catalogue C1, C3 for groups > 1).
/// ```
/// width = planes · width_per_group / 64 · groups
/// out = relu(bn1(conv1(x)))            ▸ after_conv1     (width channels)
/// out = relu(bn2(conv2(out)))          ▸ after_conv2     (width; 3×3, stride, groups, dilation)
/// out = bn3(conv3(out))                ▸ after_conv3     (planes·4)
/// out = relu(out + downsample(x))      ▸ after_block     (planes·4)
/// ```
/// Keys: `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`, `conv3.weight`, `bn3.*`, plugins,
/// `downsample.0.weight`, `downsample.1.*` (torchvision's; senet.pytorch's `SEBottleneck` with `se`).
/// Reference: torchvision/models/resnet.py `Bottleneck`.
public final class Bottleneck: Module, @unchecked Sendable {
    public static let expansion = 4
    public let conv1: Conv2d
    public let bn1: Module
    public let conv2: Conv2d
    public let bn2: Module
    public let conv3: Conv2d
    public let bn3: Module
    public let plugins: [(String, Module)]
    public let downsample: Module?
    let slots: BlockPlugins

    public override class var stateKeyOverrides: [String: String] { ["plugins": ""] }

    init(inplanes: Int, planes: Int, stride: Int, downsample: Module?, context: BlockContext) throws {
        let width = Bottleneck.width(planes: planes, context: context)
        let d = context.dilation
        conv1 = Conv2d(inChannels: inplanes, outChannels: width, kernelSize: 1, bias: false)
        bn1 = context.norm.make(width)
        conv2 = Conv2d(inChannels: width, outChannels: width, kernelSize: 3, stride: stride, padding: d, dilation: d,
                       groups: context.groups, bias: false)
        bn2 = context.norm.make(width)
        conv3 = Conv2d(inChannels: width, outChannels: planes * 4, kernelSize: 1, bias: false)
        bn3 = context.norm.make(planes * 4)
        slots = context.plugins
        plugins = slots.named
        self.downsample = downsample
        super.init()
    }

    static func width(planes: Int, context: BlockContext) -> Int { planes * context.baseWidth / 64 * context.groups }

    static func channels(planes: Int, context: BlockContext) -> (SlotPosition) -> Int {
        let width = self.width(planes: planes, context: context)
        return { p in p == .afterConv1 || p == .afterConv2 ? width : planes * 4 }
    }

    var lastNorm: Module { bn3 }

    public override func forward(_ x: Tensor) -> Tensor {
        // Inference with constant norms: each conv with its norm, ReLU and residual sum in one pass (NormReLU.swift).
        var out = slots.apply(.afterConv1, fusedConvNorm(conv1, bn1, x, relu: true) ?? normReLU(bn1, conv1(x)))
        out = slots.apply(.afterConv2, fusedConvNorm(conv2, bn2, out, relu: true) ?? normReLU(bn2, conv3x3RowSplit(conv2, out)))
        let identity = downsampled(downsample, x)
        if !slots.has(.afterConv3) {
            let y = fusedConvNorm(conv3, bn3, out, residual: identity, relu: true) ?? normAddReLU(bn3, conv3(out), identity)
            return slots.apply(.afterBlock, y)
        }
        out = slots.apply(.afterConv3, bn3(conv3(out)))
        return slots.apply(.afterBlock, out.addingReLU(identity))
    }
}
