import NN
import TensorCore

/// Deformable convolution v2 with its own offset/mask branch (catalogue D21), mmcv's
/// `ModulatedDeformConv2dPack`.
///
/// Paper: Zhu et al., "Deformable ConvNets v2: More Deformable, Better Results", CVPR 2019,
/// https://arxiv.org/abs/1811.11168
/// ```
/// (o₁, o₂, m) = chunk₃(conv_offset(X)),  Δp = cat(o₁, o₂),  Δm = σ(m)
/// Y(p) = Σₖ wₖ · X(p + pₖ + Δpₖ) · Δmₖ + b        (bilinear sampling, zeros outside)
/// ```
/// Shapes: (N, in, H, W) → (N, out, Ho, Wo) with the usual convolution output size.
/// State-dict keys: `weight` (out, in/groups, k, k), `bias` (out), `conv_offset.weight`
/// (3·deform_groups·k², in, k, k), `conv_offset.bias`.
/// Reference: mmcv `mmcv/ops/modulated_deform_conv.py` (`ModulatedDeformConv2dPack`), sampling as
/// `torchvision.ops.deform_conv2d` (offsets (dy, dx) per kernel tap and deformable group).
/// Init: weight U(±1/√(in·k²)), bias 0, `conv_offset` all zeros (starts as a plain convolution
/// with mask 0.5).
public final class ModulatedDeformConv2dPack: Module, @unchecked Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let convOffset: Conv2d
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let groups: Int, deformGroups: Int

    public init(inChannels: Int = 64, outChannels: Int = 64, kernelSize: Int = 3, stride: Int = 1, padding: Int = 1,
                dilation: Int = 1, groups: Int = 1, deformGroups: Int = 1, bias: Bool = true) {
        let k = kernelSize
        weight = Parameter(Tensor.zeros([outChannels, inChannels / groups, k, k]))
        self.bias = bias ? Parameter(Tensor.zeros([outChannels])) : nil
        convOffset = Conv2d(inChannels: inChannels, outChannels: deformGroups * 3 * k * k, kernelSize: k, stride: stride,
                            padding: padding, dilation: dilation, bias: true)
        self.stride = (stride, stride); self.padding = (padding, padding); self.dilation = (dilation, dilation)
        self.groups = groups; self.deformGroups = deformGroups
        super.init()
        let stdv = 1 / Float(inChannels * k * k).squareRoot()
        Init.uniform(weight, low: -stdv, high: stdv)
        Init.zeros(convOffset.weight)
        if let b = convOffset.bias { Init.zeros(b) }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let om = convOffset(x)
        let parts = om.chunked(3, axis: 1)
        let offset = Tensor.cat([parts[0], parts[1]], axis: 1)
        return x.deformConv2d(offset: offset, weight: weight.value, bias: bias?.value, mask: parts[2].sigmoid(),
                              stride: stride, padding: padding, dilation: dilation)
    }
}
