import NN
import TensorCore

/// Coordinate Attention (catalogue D08), External-Attention-pytorch's `CoordAtt`.
///
/// Paper: Hou et al., "Coordinate Attention for Efficient Mobile Network Design", CVPR 2021,
/// https://arxiv.org/abs/2103.02907
/// ```
/// z_h = AvgPool_W(X) (N,C,H,1),  z_w = AvgPool_H(X)ᵀ (N,C,W,1)
/// f = h_swish(BN(conv1([z_h; z_w])));  split into f_h, f_w
/// Y = X ⊙ σ(conv_h(f_h)) ⊙ σ(conv_w(f_wᵀ))
/// ```
/// Shapes: (N, inp, H, W) → (N, oup, H, W) with oup = inp for the product to broadcast.
/// State-dict keys: `conv1.*`, `bn1.*` (BatchNorm2d of mip = max(8, inp/reduction)), `conv_h.*`, `conv_w.*`.
/// Reference: seed 002; External-Attention-pytorch `model/attention/CoordAttention.py`.
public final class CoordAtt: Module, @unchecked Sendable {
    public let poolH = AdaptiveAvgPool2d(outputSize: (nil, 1))
    public let poolW = AdaptiveAvgPool2d(outputSize: (1, nil))
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let act = Hardswish()
    public let convH: Conv2d
    public let convW: Conv2d

    public init(inp: Int, oup: Int, reduction: Int = 32) {
        let mip = max(8, inp / reduction)
        conv1 = Conv2d(inChannels: inp, outChannels: mip, kernelSize: 1)
        bn1 = BatchNorm2d(numFeatures: mip)
        convH = Conv2d(inChannels: mip, outChannels: oup, kernelSize: 1)
        convW = Conv2d(inChannels: mip, outChannels: oup, kernelSize: 1)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let h = x.shape[2], w = x.shape[3]
        let y = act(bn1(conv1(Tensor.cat([poolH(x), poolW(x).permuted(0, 1, 3, 2)], axis: 2))))
        let parts = y.split(sizes: [h, w], axis: 2)
        let ah = convH(parts[0]).sigmoid()
        let aw = convW(parts[1].permuted(0, 1, 3, 2)).sigmoid()
        return x * aw * ah
    }
}
