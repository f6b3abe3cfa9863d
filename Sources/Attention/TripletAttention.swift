import NN
import TensorCore

/// Triplet Attention (catalogue D32): three rotated views gated by Z-pool + 7×7 conv + BN + σ, averaged.
///
/// Paper: Misra et al., "Rotate to Attend: Convolutional Triplet Attention Module", WACV 2021, https://arxiv.org/abs/2010.03045
/// ```
/// gate(Z) = Z ⊙ σ(BN(conv7×7([max_c Z ‖ mean_c Z])))
/// Y = ⅓ (gate_hw(X) + P₁⁻¹ gate_cw(P₁ X) + P₂⁻¹ gate_hc(P₂ X))   P₁: (N,H,C,W), P₂: (N,W,H,C)
/// no_spatial: Y = ½ (P₁⁻¹ gate_cw(P₁ X) + P₂⁻¹ gate_hc(P₂ X))
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: per gate `cw`, `hc`, `hw` (no `hw` with `no_spatial`): `<g>.conv.conv.weight` (1, 2, 7, 7),
/// `<g>.conv.bn.weight`, `.bias`, `.running_mean`, `.running_var`, `.num_batches_tracked`.
/// Reference: official landskape-ai/triplet-attention `MODELS/triplet_attention.py` (BN momentum 0.01 as there).
public final class TripletAttention: Module {
    /// Conv (no bias) → BN (momentum 0.01) → optional ReLU, the official `BasicConv`.
    public final class BasicConv: Module {
        public let conv: Conv2d
        public let bn: BatchNorm2d?
        public let relu: ReLU?

        public init(inPlanes: Int, outPlanes: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                    groups: Int = 1, relu: Bool = true, bn: Bool = true, bias: Bool = false) {
            conv = Conv2d(inChannels: inPlanes, outChannels: outPlanes, kernelSize: kernelSize, stride: stride, padding: padding,
                          dilation: dilation, groups: groups, bias: bias)
            self.bn = bn ? BatchNorm2d(numFeatures: outPlanes, eps: 1e-5, momentum: 0.01, affine: true) : nil
            self.relu = relu ? ReLU() : nil
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            var y = conv(x)
            if let bn { y = bn(y) }
            if let relu { y = relu(y) }
            return y
        }
    }

    /// Channel max ‖ channel mean, (N, C, H, W) → (N, 2, H, W).
    public final class ZPool: Module {
        public override init() { super.init() }
        public override func forward(_ x: Tensor) -> Tensor {
            Tensor.cat([x.maxValues(axis: 1, keepDims: true), x.mean(axis: 1, keepDims: true)], axis: 1)
        }
    }

    /// Z-pool → 7×7 BasicConv (no ReLU) → σ, multiplied onto the input.
    public final class AttentionGate: Module {
        public let compress = ZPool()
        public let conv = BasicConv(inPlanes: 2, outPlanes: 1, kernelSize: 7, padding: 3, relu: false)
        public override init() { super.init() }
        public override func forward(_ x: Tensor) -> Tensor { x * conv(compress(x)).sigmoid() }
    }

    public let cw = AttentionGate()
    public let hc = AttentionGate()
    public let hw: AttentionGate?
    public let noSpatial: Bool

    public init(noSpatial: Bool = false) {
        self.noSpatial = noSpatial
        hw = noSpatial ? nil : AttentionGate()
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let o1 = cw(x.permuted(0, 2, 1, 3)).permuted(0, 2, 1, 3)
        let o2 = hc(x.permuted(0, 3, 2, 1)).permuted(0, 3, 2, 1)
        if let hw { return (hw(x) + o1 + o2) * (1 / 3) }
        return (o1 + o2) * 0.5
    }
}
