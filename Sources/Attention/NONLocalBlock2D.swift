import NN
import TensorCore

/// Non-local block, embedded-Gaussian form (catalogue D22): every position attends to every
/// (sub-sampled) position.
///
/// Paper: Wang et al., "Non-local Neural Networks", CVPR 2018, https://arxiv.org/abs/1711.07971
/// ```
/// f = softmax_j(θ(xᵢ)ᵀ φ(xⱼ)),  yᵢ = Σⱼ f_ij g(xⱼ),  Z = W(y) + X
/// ```
/// θ, φ, g are 1×1 convolutions to `inter_channels` (default C/2); with `sub_sample` φ and g are
/// followed by a 2×2 max-pool; W is a 1×1 convolution back to C, followed by BatchNorm when
/// `bn_layer` (BN affine initialised to 0, else W's conv to 0, so the block starts as the identity).
/// Shapes: (N, C, H, W) → (N, C, H, W) (H, W ≥ 2 with `sub_sample`).
/// State-dict keys: `g.0.*` (`g.*` without sub-sampling), `W.0.*` + `W.1.*` BN (`W.*` without
/// `bn_layer`), `theta.*`, `phi.0.*` (`phi.*`).
/// Reference: AlexHex7/Non-local_pytorch `lib/non_local_embedded_gaussian.py`
/// (`_NonLocalBlockND`, dimension 2), the implementation most PyTorch code copies.
/// Implementation: θ, g, φ run as one stacked 1×1 convolution, and W's convolution is applied
/// before the product with the attention map when that is cheaper; equal up to rounding.
public final class NONLocalBlock2D: Module, @unchecked Sendable {
    public let g: Module
    public let w: Module
    public let theta: Conv2d
    public let phi: Module
    public let inChannels: Int, interChannels: Int

    public override class var stateKeyOverrides: [String: String] { ["w": "W"] }

    public init(inChannels: Int = 512, interChannels: Int? = nil, subSample: Bool = true, bnLayer: Bool = true) {
        let ic = interChannels ?? max(inChannels / 2, 1)
        self.inChannels = inChannels
        self.interChannels = ic
        let gConv = Conv2d(inChannels: inChannels, outChannels: ic, kernelSize: 1)
        let wConv = Conv2d(inChannels: ic, outChannels: inChannels, kernelSize: 1)
        if bnLayer {
            let bn = BatchNorm2d(numFeatures: inChannels)
            Init.zeros(bn.weight!)
            Init.zeros(bn.bias!)
            w = Sequential(wConv, bn)
        } else {
            Init.zeros(wConv.weight)
            Init.zeros(wConv.bias!)
            w = wConv
        }
        theta = Conv2d(inChannels: inChannels, outChannels: ic, kernelSize: 1)
        let phiConv = Conv2d(inChannels: inChannels, outChannels: ic, kernelSize: 1)
        g = subSample ? Sequential(gConv, MaxPool2d(kernelSize: 2)) : gConv
        phi = subSample ? Sequential(phiConv, MaxPool2d(kernelSize: 2)) : phiConv
        super.init()
    }

    /// The 1×1 convolutions inside `g` and `phi` (behind the max-pool when sub-sampling).
    private var gConv: Conv2d { (g as? Conv2d) ?? (g as! Sequential).layers[0] as! Conv2d }
    private var phiConv: Conv2d { (phi as? Conv2d) ?? (phi as! Sequential).layers[0] as! Conv2d }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], h = x.shape[2], wd = x.shape[3], n = h * wd, ic = interChannels
        // θ, g and φ read the same input: one 1×1 convolution with the three weights stacked,
        // then one max-pool over the g and φ channels (the same maps the separate layers give).
        let convs = [theta, gConv, phiConv]
        let weight = Tensor.cat(convs.map { $0.weight.value }, axis: 0)
        let bias = Tensor.cat(convs.map { $0.bias!.value }, axis: 0)
        let all = x.conv2d(weight: weight, bias: bias)
        let thetaX = all.slice(axis: 1, start: 0, end: ic).reshaped(b, ic, n)               // (b, ic, n)
        var gp = all.slice(axis: 1, start: ic, end: 3 * ic)
        if g is Sequential { gp = gp.maxPool2x2(relu: false) }
        let gx = gp.slice(axis: 1, start: 0, end: ic).reshaped(b, ic, -1)                    // (b, ic, m)
        let phiX = gp.slice(axis: 1, start: ic, end: 2 * ic).reshaped(b, ic, -1)             // (b, ic, m)
        let m = gx.shape[2], c = inChannels
        let fT = thetaX.transposed(1, 2).matmul(phiX).softmax(axis: -1).transposed(1, 2)     // (b, m, n)
        // W's 1×1 convolution is linear: W·(g·fᵀ) = (W·g)·fᵀ, cheaper when g is sub-sampled
        // (fewer multiply-adds: c·ic·m + c·m·n against c·ic·n + ic·m·n).
        guard c * ic * m + c * m * n < c * ic * n + ic * m * n else {
            return w(gx.matmul(fT).reshaped(b, ic, h, wd)) + x
        }
        let z = wConv.weight.value.reshaped(c, ic).matmul(gx).matmul(fT) + wConv.bias!.value.reshaped(1, c, 1)
        let zMap = z.reshaped(b, c, h, wd)
        if let seq = w as? Sequential { return seq.layers[1](zMap) + x }
        return zMap + x
    }

    /// W's 1×1 convolution (followed by BatchNorm when `bn_layer`).
    private var wConv: Conv2d { (w as? Conv2d) ?? (w as! Sequential).layers[0] as! Conv2d }
}
