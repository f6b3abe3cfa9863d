import NN
import TensorCore

/// SKNet bottleneck unit of seed 000 (catalogue C2 / D38), `SKUnit(in_channels, out_channels)`.
///
/// Paper: Li et al., "Selective Kernel Networks", CVPR 2019, https://arxiv.org/abs/1903.06586
/// ```
/// in == out:  mid = in/2, stride 1, shortcut = identity
/// in != out:  mid = in,   stride 2, shortcut = BN(conv1×1 stride 2 (X))
/// Y = ReLU(shortcut(X) + BN(conv1×1(ReLU(BN(SKConv(ReLU(BN(conv1×1 X)), stride))))))
/// ```
/// Shapes: (N, in, H, W) → (N, out, H, W) when in == out, else (N, out, ⌈H/2⌉, ⌈W/2⌉).
/// State-dict keys: `shortcut.0.weight`, `shortcut.1.*` (only when in != out), `conv1.0.weight`, `conv1.1.*`,
/// `conv2.0.conv1.{i}.*`, `conv2.0.att.*`, `conv2.1.*`, `conv3.0.weight`, `conv3.1.*`.
/// Reference: seed 000 `SKUnit` (its `FloatFunctional.add_relu` is `relu(shortcut + out)`).
/// Quirk: as the seed, `in_channels != out_channels` always means a stride-2 unit whose middle width is
/// `in_channels`, and the SKConv's output goes through one more BN and ReLU.
public final class SKUnit: Module, @unchecked Sendable {
    public let shortcut: Sequential
    public let conv1: Sequential
    public let conv2: Sequential
    public let conv3: Sequential

    public init(inChannels: Int, outChannels: Int) {
        let mid: Int, stride: Int
        if inChannels == outChannels {
            mid = inChannels / 2
            stride = 1
            shortcut = Sequential([])
        } else {
            mid = inChannels
            stride = 2
            shortcut = Sequential(Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, bias: false),
                                  BatchNorm2d(numFeatures: outChannels))
        }
        conv1 = Sequential(Conv2d(inChannels: inChannels, outChannels: mid, kernelSize: 1, bias: false),
                           BatchNorm2d(numFeatures: mid), ReLU())
        conv2 = Sequential(SKConv(channels: mid, stride: stride), BatchNorm2d(numFeatures: mid), ReLU())
        conv3 = Sequential(Conv2d(inChannels: mid, outChannels: outChannels, kernelSize: 1, bias: false),
                           BatchNorm2d(numFeatures: outChannels))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let identity = shortcut(x), out = conv2(conv1(x))
        // Inference: conv3's BN, the shortcut sum and the ReLU in conv3's epilogue (NN/ConvNormFusion.swift).
        if let conv = conv3.layers.first as? Conv2d,
           let y = ConvNormFusion.fuse(conv, conv3.layers[1], out, residual: identity, relu: true) {
            return y
        }
        // Training: conv3's BN, the sum and the ReLU as one op (BatchNormBase.forwardAddReLU; the same
        // values, the sum's operands swapped, which IEEE addition allows). Summaries and observers
        // see conv3 as a module, so they keep the steps.
        if !ModuleSummary.isRecording, ForwardObserver.current == nil, conv3.count == 2,
           let conv = conv3.layers[0] as? Conv2d, let bn = conv3.layers[1] as? BatchNormBase {
            return bn.forwardAddReLU(conv(out), residual: identity)
        }
        return (identity + conv3(out)).relu()
    }
}
