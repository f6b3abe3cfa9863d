import NN
import TensorCore

/// Bottleneck Attention Module of seed 001 (catalogue D03) in the official code's form, `BAM(gate_channel)`
/// with `ChannelGate` and `SpatialGate`.
///
/// Paper: Park et al., "BAM: Bottleneck Attention Module", BMVC 2018, https://arxiv.org/abs/1807.06514
/// ```
/// Mc = FC(ReLU(BN1d(FC(AvgPool(X)))))                          channel gate, C → C/r → C
/// Ms = conv1×1(ReLU(BN(dilated conv3×3)) × 2 (ReLU(BN(conv1×1 X))))   spatial gate, C → C/r → 1
/// Y  = (1 + σ(Mc + Ms)) ⊙ X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), with H ≤ W < 2H (see Quirk).
/// State-dict keys: `channel_att.gate_c.gate_c_fc_0.*`, `channel_att.gate_c.gate_c_bn_1.*`,
/// `channel_att.gate_c.gate_c_fc_final.*`, `spatial_att.gate_s.gate_s_conv_reduce0.*`,
/// `spatial_att.gate_s.gate_s_bn_reduce0.*`, `spatial_att.gate_s.gate_s_conv_di_{i}.*`,
/// `spatial_att.gate_s.gate_s_bn_di_{i}.*`, `spatial_att.gate_s.gate_s_conv_final.*`.
/// Reference: seed 001 (`ChannelGate`, `SpatialGate`); Jongchan/attention-module `MODELS/bam.py` (`BAM`).
/// Deviation: seed 001 does not show `BAM` itself; the official class is followed, but the gates
/// are combined as the paper and the catalogue write, σ(Mc + Ms); the official code computes σ(Mc · Ms).
/// Deviation: `reductionRatio`, `numLayers`, `dilationConvNum`, `dilationVal` are passed through to
/// the gates (the official `BAM` takes only `gate_channel`); the defaults give the official module.
/// Quirk: as the reference, the channel gate pools with `avg_pool2d(x, H, stride: H)`, which is
/// global average pooling only for square maps; for H < W < 2H it averages the left H×H window
/// and other widths are rejected (the reference fails there too).
public final class BAM: Module, @unchecked Sendable {
    /// Channel gate: average pool → (FC, BN1d, ReLU)×numLayers → FC.
    public final class ChannelGate: Module, @unchecked Sendable {
        public let gateC: NamedSequential

        public init(gateChannel: Int, reductionRatio: Int = 16, numLayers: Int = 1) {
            let gc = [gateChannel] + Array(repeating: gateChannel / reductionRatio, count: numLayers) + [gateChannel]
            var layers: [(String, Module)] = [("flatten", Flatten())]
            for i in 0..<(gc.count - 2) {
                layers += [("gate_c_fc_\(i)", Linear(inFeatures: gc[i], outFeatures: gc[i + 1])),
                           ("gate_c_bn_\(i + 1)", BatchNorm1d(numFeatures: gc[i + 1])), ("gate_c_relu_\(i + 1)", ReLU())]
            }
            layers.append(("gate_c_fc_final", Linear(inFeatures: gc[gc.count - 2], outFeatures: gc[gc.count - 1])))
            gateC = NamedSequential(layers)
            super.init()
        }

        /// Returns Mc of shape (N, C, 1, 1) (the reference expands it to X's shape; broadcasting does that here).
        public override func forward(_ x: Tensor) -> Tensor {
            let h = x.shape[2], w = x.shape[3]
            checkShape(w >= h && w < 2 * h,
                       "BAM.ChannelGate: avg_pool2d(x, H, stride: H) of input \(x.shape) does not give one value per channel (needs H ≤ W < 2H)")
            let pooled = w == h ? x.adaptiveAvgPool2d(1) : x.avgPool2d(kernelSize: (h, h), stride: (h, h))
            return gateC(pooled).reshaped(x.shape[0], x.shape[1], 1, 1)
        }
    }

    /// Spatial gate: 1×1 reduce, `dilationConvNum` dilated 3×3 convs, 1×1 to one map.
    public final class SpatialGate: Module, @unchecked Sendable {
        public let gateS: NamedSequential

        public init(gateChannel: Int, reductionRatio: Int = 16, dilationConvNum: Int = 2, dilationVal: Int = 4) {
            let r = gateChannel / reductionRatio
            var layers: [(String, Module)] = [
                ("gate_s_conv_reduce0", Conv2d(inChannels: gateChannel, outChannels: r, kernelSize: 1)),
                ("gate_s_bn_reduce0", BatchNorm2d(numFeatures: r)), ("gate_s_relu_reduce0", ReLU()),
            ]
            for i in 0..<dilationConvNum {
                layers += [("gate_s_conv_di_\(i)", Conv2d(inChannels: r, outChannels: r, kernelSize: 3, padding: dilationVal, dilation: dilationVal)),
                           ("gate_s_bn_di_\(i)", BatchNorm2d(numFeatures: r)), ("gate_s_relu_di_\(i)", ReLU())]
            }
            layers.append(("gate_s_conv_final", Conv2d(inChannels: r, outChannels: 1, kernelSize: 1)))
            gateS = NamedSequential(layers)
            super.init()
        }

        /// Returns Ms of shape (N, 1, H, W).
        public override func forward(_ x: Tensor) -> Tensor { gateS(x) }
    }

    public let channelAtt: ChannelGate
    public let spatialAtt: SpatialGate

    public init(gateChannel: Int, reductionRatio: Int = 16, numLayers: Int = 1, dilationConvNum: Int = 2, dilationVal: Int = 4) {
        channelAtt = ChannelGate(gateChannel: gateChannel, reductionRatio: reductionRatio, numLayers: numLayers)
        spatialAtt = SpatialGate(gateChannel: gateChannel, reductionRatio: reductionRatio,
                                 dilationConvNum: dilationConvNum, dilationVal: dilationVal)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        ((channelAtt(x) + spatialAtt(x)).sigmoid() + 1) * x
    }
}
