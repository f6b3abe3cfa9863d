import NN
import TensorCore

/// DANet position attention module (catalogue D34), official `PAM_Module`.
///
/// Paper: Fu et al., "Dual Attention Network for Scene Segmentation", CVPR 2019, https://arxiv.org/abs/1809.02983
/// ```
/// Q = conv_q(X), K = conv_k(X) ∈ ℝ^{C/8 × HW},  V = conv_v(X) ∈ ℝ^{C × HW}
/// A = softmax_j(Qᵀ K)   (HW × HW),   Y = γ · V Aᵀ + X,   γ initialised to 0
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), any H, W.
/// State-dict keys: `gamma` (1), `query_conv.weight`/`.bias` (C/8, C, 1, 1), `key_conv.*`, `value_conv.*` (C, C, 1, 1).
/// Reference: official junfu1115/DANet `encoding/nn/da_att.py` `PAM_Module(in_dim)`.
public final class PAMModule: Module {
    public let gamma: Parameter
    public let queryConv: Conv2d
    public let keyConv: Conv2d
    public let valueConv: Conv2d

    public init(inDim: Int = 512) {
        gamma = Parameter(Tensor.zeros([1]))
        queryConv = Conv2d(inChannels: inDim, outChannels: inDim / 8, kernelSize: 1)
        keyConv = Conv2d(inChannels: inDim, outChannels: inDim / 8, kernelSize: 1)
        valueConv = Conv2d(inChannels: inDim, outChannels: inDim, kernelSize: 1)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3]
        let q = queryConv(x).reshaped(b, -1, hw).permuted(0, 2, 1)
        let k = keyConv(x).reshaped(b, -1, hw)
        let attention = q.bmm(k).softmax(axis: -1)
        let v = valueConv(x).reshaped(b, c, hw)
        let out = v.bmm(attention.permuted(0, 2, 1)).reshaped(x.shape)
        return gamma.value * out + x
    }
}

/// DANet channel attention module (catalogue D34), official `CAM_Module`.
///
/// Paper: Fu et al., "Dual Attention Network for Scene Segmentation", CVPR 2019, https://arxiv.org/abs/1809.02983
/// ```
/// F = reshape(X) ∈ ℝ^{C × HW},  E = F Fᵀ,  A = softmax_j(max_j E − E)
/// Y = γ · A F + X,   γ initialised to 0
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), any H, W.
/// State-dict keys: `gamma` (1).
/// Reference: official junfu1115/DANet `encoding/nn/da_att.py` `CAM_Module(in_dim)` (`in_dim` is unused there too).
/// Quirk: the max-minus energy ("energy_new") is copied; its max sends the gradient to the first maximal index as `torch.max(dim)`.
public final class CAMModule: Module {
    public let gamma: Parameter
    public let chanelIn: Int

    public init(inDim: Int = 512) {
        chanelIn = inDim
        gamma = Parameter(Tensor.zeros([1]))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1]
        let f = x.reshaped(b, c, -1)
        let energy = f.bmm(f.permuted(0, 2, 1))
        let attention = (energy.maxValues(axis: -1, keepDims: true) - energy).softmax(axis: -1)
        let out = attention.bmm(f).reshaped(x.shape)
        return gamma.value * out + x
    }
}
