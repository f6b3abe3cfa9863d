import NN
import TensorCore

/// Bottleneck Attention Module, seed-002 form (catalogue D03), External-Attention-pytorch's `BAMBlock`.
///
/// Paper: Park et al., "BAM: Bottleneck Attention Module", BMVC 2018, https://arxiv.org/abs/1807.06514
/// ```
/// Mc = FC(BN(ReLU(FC(GAP(X)))))…            channel gate, 3 hidden layers
/// Ms = conv1×1(dilated 3×3 convs(conv1×1(X)))  spatial gate
/// Y  = (1 + σ(Mc + Ms)) ⊙ X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `ca.ca.fc0.weight`, `ca.ca.bn0.running_mean`, …, `ca.ca.last_fc.bias`,
/// `sa.sa.conv_reduce1.weight`, `sa.sa.bn_reduce1.*`, `sa.sa.conv_0.*` … `sa.sa.last_conv.*`.
/// Reference: seed 002; External-Attention-pytorch `model/attention/BAM.py`.
/// Quirk: as the reference, the dilated 3×3 convs use padding 1 with dilation `dia_val`, so for
/// dia_val = 2 each shrinks the map by 2; the spatial gate then broadcasts only when it ends at
/// 1×1 (the seed's 7×7 input) or when dia_val = 1. `paperPadding: true` (CLI
/// `--arg paper_padding=1`) pads them by `dia_val` as the paper's code does, so the gate keeps the
/// input's size and the block takes any H×W (the form a backbone's attention slot uses).
public final class BAMBlock: Module, @unchecked Sendable {
    /// Channel gate: GAP → (FC, BN1d, ReLU)×numLayers → FC.
    public final class ChannelAttention: Module, @unchecked Sendable {
        public let avgpool = AdaptiveAvgPool2d(1)
        public let ca: NamedSequential

        public init(channel: Int, reduction: Int = 16, numLayers: Int = 3) {
            let gc = [channel] + Array(repeating: channel / reduction, count: numLayers) + [channel]
            var layers: [(String, Module)] = [("flatten", Flatten())]
            for i in 0..<(gc.count - 2) {
                layers += [("fc\(i)", Linear(inFeatures: gc[i], outFeatures: gc[i + 1])),
                           ("bn\(i)", BatchNorm1d(numFeatures: gc[i + 1])), ("relu\(i)", ReLU())]
            }
            layers.append(("last_fc", Linear(inFeatures: gc[gc.count - 2], outFeatures: gc[gc.count - 1])))
            ca = NamedSequential(layers)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor { ca(avgpool(x)).reshaped(x.shape[0], x.shape[1], 1, 1) }
    }

    /// Spatial gate: 1×1 reduce, dilated 3×3 convs, 1×1 to one map.
    public final class SpatialAttention: Module, @unchecked Sendable {
        public let sa: NamedSequential

        /// `paperPadding`: pad the dilated convs by `diaVal` (the paper) instead of 1 (the reference).
        public init(channel: Int, reduction: Int = 16, numLayers: Int = 3, diaVal: Int = 2, paperPadding: Bool = false) {
            let r = channel / reduction
            var layers: [(String, Module)] = [
                ("conv_reduce1", Conv2d(inChannels: channel, outChannels: r, kernelSize: 1)),
                ("bn_reduce1", BatchNorm2d(numFeatures: r)), ("relu_reduce1", ReLU()),
            ]
            for i in 0..<numLayers {
                layers += [("conv_\(i)", Conv2d(inChannels: r, outChannels: r, kernelSize: 3, padding: paperPadding ? diaVal : 1, dilation: diaVal)),
                           ("bn_\(i)", BatchNorm2d(numFeatures: r)), ("relu_\(i)", ReLU())]
            }
            layers.append(("last_conv", Conv2d(inChannels: r, outChannels: 1, kernelSize: 1)))
            sa = NamedSequential(layers)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor { sa(x) }
    }

    public let ca: ChannelAttention
    public let sa: SpatialAttention
    public let sigmoid = Sigmoid()

    public init(channel: Int = 512, reduction: Int = 16, diaVal: Int = 2, paperPadding: Bool = false) {
        ca = ChannelAttention(channel: channel, reduction: reduction)
        sa = SpatialAttention(channel: channel, reduction: reduction, diaVal: diaVal, paperPadding: paperPadding)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let s = sa(x)
        checkShape(s.shape[2] == 1 || s.shape[2] == x.shape[2],
                   "BAMBlock: spatial gate of shape \(s.shape) does not broadcast to input \(x.shape) (dia_val shrinks the map)")
        return (sigmoid(s + ca(x)) + 1) * x
    }
}
