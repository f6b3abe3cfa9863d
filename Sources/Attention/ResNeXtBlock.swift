import NN
import TensorCore

/// ResNeXt grouped-convolution block of seed 000 (catalogue C3), the seed's
/// `Block(in_channels, gw, cardinality=32, stride=1)` with expansion 2.
///
/// Paper: Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
/// https://arxiv.org/abs/1611.05431
/// ```
/// out = ReLU(BN(conv1×1(ReLU(BN(grouped conv3×3, stride s (ReLU(BN(conv1×1 X))))))))   widths in → gw → gw → 2·gw
/// Y   = ReLU(out + shortcut(X))       shortcut = BN(conv1×1 stride s, with bias) when s ≠ 1 or in ≠ 2·gw, else X
/// ```
/// Shapes: (N, in, H, W) → (N, 2·gw, ⌈H/s⌉, ⌈W/s⌉).
/// State-dict keys: `conv1.0.weight`, `conv1.1.*`, `conv2.0.weight` (gw, gw/cardinality, 3, 3), `conv2.1.*`,
/// `conv3.0.weight`, `conv3.1.*`, `shortcut.0.weight`, `shortcut.0.bias`, `shortcut.1.*` (projection only).
/// Reference: seed 000 `Block`.
/// Deviation: the Swift type is `ResNeXtBlock`, not the seed's bare `Block` (too generic a name in the zoo).
/// Deviation: the seed's `forward` ends after `out = F.relu(out)` without `return out` (lost in the blog);
/// the block returns it.
/// Quirk: as the seed, conv3's branch ends with a ReLU before the residual addition (ResNet has none there).
public final class ResNeXtBlock: Module, @unchecked Sendable {
    /// The channel expansion of the block's output (the seed's `Block.expansion`).
    public static let expansion = 2

    public let conv1: Sequential
    public let conv2: Sequential
    public let conv3: Sequential
    public let shortcut: Sequential

    public init(inChannels: Int, gw: Int, cardinality: Int = 32, stride: Int = 1) {
        let outChannels = gw * Self.expansion
        conv1 = Sequential(Conv2d(inChannels: inChannels, outChannels: gw, kernelSize: 1, bias: false), BatchNorm2d(numFeatures: gw), ReLU())
        conv2 = Sequential(Conv2d(inChannels: gw, outChannels: gw, kernelSize: 3, stride: stride, padding: 1, groups: cardinality, bias: false),
                           BatchNorm2d(numFeatures: gw), ReLU())
        conv3 = Sequential(Conv2d(inChannels: gw, outChannels: outChannels, kernelSize: 1, bias: false),
                           BatchNorm2d(numFeatures: outChannels), ReLU())
        if stride != 1 || inChannels != outChannels {
            shortcut = Sequential(Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride),
                                  BatchNorm2d(numFeatures: outChannels))
        } else {
            shortcut = Sequential([])
        }
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        (conv3(conv2(conv1(x))) + shortcut(x)).relu()
    }
}
