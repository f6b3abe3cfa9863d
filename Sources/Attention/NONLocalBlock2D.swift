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

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], n = x.shape[2] * x.shape[3]
        let gx = g(x).reshaped(b, interChannels, -1)                      // (b, ic, m)
        let thetaX = theta(x).reshaped(b, interChannels, n)               // (b, ic, n)
        let phiX = phi(x).reshaped(b, interChannels, -1)                  // (b, ic, m)
        let f = thetaX.transposed(1, 2).matmul(phiX).softmax(axis: -1)    // (b, n, m)
        let y = gx.matmul(f.transposed(1, 2)).reshaped(x.shape[0], interChannels, x.shape[2], x.shape[3])
        return w(y) + x
    }
}
