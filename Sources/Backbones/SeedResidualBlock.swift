import Attention
import NN
import TensorCore

/// The residual units of seed 000 written as `conv1`/`conv2`/`conv3` Sequentials plus a
/// `shortcut`, with the attention slot (catalogue C2, C3):
/// - SKNet (`SKUnit(in, out)`): keys `shortcut.*` first, then `conv1.*`, `conv2.0.*` (SKConv),
///   `conv2.1.*`, `conv3.*`; in ≠ out means a stride-2 unit of middle width `in`.
/// - ResNeXt (`Block(in, gw, cardinality, stride)`, expansion 2): keys `conv1.*`, `conv2.*`,
///   `conv3.*`, `shortcut.*` (its projection conv has a bias); conv3's branch ends in a ReLU.
/// ```
/// out = conv1(x) ▸ after_conv1;  out = conv2(out) ▸ after_conv2;  out = conv3(out) ▸ after_conv3
/// y = relu(out + shortcut(x)) ▸ after_block
/// ```
/// Plugins are registered after conv3 (`after_conv3.*`). References: seed 000 `SKUnit`, `Block`.
public final class SeedResidualBlock: Module, @unchecked Sendable {
    /// (name, module) in the reference's declaration order, then the plugins.
    public let parts: [(String, Module)]
    /// The same modules for the forward pass (a tuple: reflection registers only `parts`).
    private let units: (conv1: Module, conv2: Module, conv3: Module, shortcut: Module)
    let slots: BlockPlugins

    public override class var stateKeyOverrides: [String: String] { ["parts": ""] }

    init(conv1: Module, conv2: Module, conv3: Module, shortcut: Module, shortcutFirst: Bool, plugins: BlockPlugins) {
        units = (conv1, conv2, conv3, shortcut)
        slots = plugins
        let convs: [(String, Module)] = [("conv1", conv1), ("conv2", conv2), ("conv3", conv3)]
        parts = (shortcutFirst ? [("shortcut", shortcut)] + convs : convs + [("shortcut", shortcut)]) + plugins.named
        super.init()
    }

    /// Seed 000's `SKUnit(in_channels, out_channels)` (SKConv with M = 2, reduction 4).
    static func skUnit(inChannels: Int, outChannels: Int, plugins: (_ channels: (SlotPosition) -> Int) throws -> BlockPlugins) throws -> SeedResidualBlock {
        let same = inChannels == outChannels
        let mid = same ? inChannels / 2 : inChannels, stride = same ? 1 : 2
        let shortcut = same ? Sequential([]) : Sequential(Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: 2, bias: false),
                                                          BatchNorm2d(numFeatures: outChannels))
        return SeedResidualBlock(
            conv1: Sequential(Conv2d(inChannels: inChannels, outChannels: mid, kernelSize: 1, bias: false), BatchNorm2d(numFeatures: mid), ReLU()),
            conv2: Sequential(SKConv(channels: mid, stride: stride), BatchNorm2d(numFeatures: mid), ReLU()),
            conv3: Sequential(Conv2d(inChannels: mid, outChannels: outChannels, kernelSize: 1, bias: false), BatchNorm2d(numFeatures: outChannels)),
            shortcut: shortcut, shortcutFirst: true,
            plugins: try plugins { $0 == .afterConv1 || $0 == .afterConv2 ? mid : outChannels })
    }

    /// Seed 000's ResNeXt `Block(in_channels, gw, cardinality, stride)`.
    static func resNeXt(inChannels: Int, gw: Int, cardinality: Int, stride: Int,
                        plugins: (_ channels: (SlotPosition) -> Int) throws -> BlockPlugins) throws -> SeedResidualBlock {
        let out = gw * 2
        let shortcut = stride != 1 || inChannels != out
            ? Sequential(Conv2d(inChannels: inChannels, outChannels: out, kernelSize: 1, stride: stride), BatchNorm2d(numFeatures: out))
            : Sequential([])
        return SeedResidualBlock(
            conv1: Sequential(Conv2d(inChannels: inChannels, outChannels: gw, kernelSize: 1, bias: false), BatchNorm2d(numFeatures: gw), ReLU()),
            conv2: Sequential(Conv2d(inChannels: gw, outChannels: gw, kernelSize: 3, stride: stride, padding: 1, groups: cardinality, bias: false),
                              BatchNorm2d(numFeatures: gw), ReLU()),
            conv3: Sequential(Conv2d(inChannels: gw, outChannels: out, kernelSize: 1, bias: false), BatchNorm2d(numFeatures: out), ReLU()),
            shortcut: shortcut, shortcutFirst: false,
            plugins: try plugins { $0 == .afterConv1 || $0 == .afterConv2 ? gw : out })
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var out = slots.apply(.afterConv1, units.conv1(x))
        out = slots.apply(.afterConv2, units.conv2(out))
        out = slots.apply(.afterConv3, units.conv3(out))
        return slots.apply(.afterBlock, out.addingReLU(units.shortcut(x)))
    }
}
