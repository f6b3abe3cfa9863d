import NN
import TensorCore

/// Global second-order pooling channel attention (catalogue D10), GSoP-Net's `chan_att` as a block.
///
/// Paper: Gao et al., "Global Second-order Pooling Convolutional Networks", CVPR 2019, https://arxiv.org/abs/1811.12006
/// ```
/// Z = ReLU(BN(Conv1×1(ReLU(X))))                    reduce C → d (att_dim)
/// S = Cov(Z)                                       (N, d, d), MPN-COV covpool
/// g = σ(Conv1×1(ReLU(RowConv(BN(S)))))              row-wise conv: grouped conv, kernel (d, 1), 4 outputs per row
/// Y = X ⊙ g
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `conv_for_DR.{weight,bias}`, `bn_for_DR.*`, `row_bn.*`, `row_conv_group.{weight,bias}`
/// (4d, 1, d, 1), `fc_adapt_channels.{weight,bias}`.
/// Reference: seed 003 (formula only); official ZilinGao/Global-Second-order-Pooling-Convolutional-Networks
/// `torchvision/models/resnet.py` (Bottleneck with attention '1': `out = pre_att * chan_att(pre_att)`).
/// Deviation: the seed has no code; the official block's layers are wrapped as a standalone module
/// with `channel` and `att_dim` (128 in the paper) arguments.
public final class GSoP: Module, @unchecked Sendable {
    public let convForDR: Conv2d
    public let bnForDR: BatchNorm2d
    public let rowBn: BatchNorm2d
    public let rowConvGroup: Conv2d
    public let fcAdaptChannels: Conv2d
    public let attDim: Int

    public override class var stateKeyOverrides: [String: String] { ["convForDR": "conv_for_DR", "bnForDR": "bn_for_DR"] }

    public init(channel: Int, attDim: Int = 128) {
        self.attDim = attDim
        convForDR = Conv2d(inChannels: channel, outChannels: attDim, kernelSize: 1)
        bnForDR = BatchNorm2d(numFeatures: attDim)
        rowBn = BatchNorm2d(numFeatures: attDim)
        rowConvGroup = Conv2d(inChannels: attDim, outChannels: 4 * attDim, kernelSize: (attDim, 1), groups: attDim)
        fcAdaptChannels = Conv2d(inChannels: 4 * attDim, outChannels: channel, kernelSize: 1)
        super.init()
    }

    /// The channel gate σ(...), (N, C, 1, 1).
    public func channelAttention(_ x: Tensor) -> Tensor {
        let z = bnForDR(convForDR(x.relu())).relu()
        let cov = MPNCOV.covariance(z)
        let b = x.shape[0], d = attDim
        let rows = rowBn(cov.reshaped(b, d, d, 1))
        return fcAdaptChannels(rowConvolution(rows.reshaped(b, d, d)).relu()).sigmoid()
    }

    /// `row_conv_group` (groups = d, kernel (d, 1)) as one batched product over the d rows:
    /// out[b, 4i + o] = Σ_j W[4i + o, j] · rows[b, i, j] + bias, (B, d, d) → (B, 4d, 1, 1).
    func rowConvolution(_ rows: Tensor) -> Tensor {
        let b = rows.shape[0], d = attDim
        let w = rowConvGroup.weight.value.reshaped(d, 4, d).transposed(1, 2)            // (d, d, 4)
        let out = rows.permuted(1, 0, 2).bmm(w).permuted(1, 0, 2).reshaped(b, 4 * d, 1, 1)  // (B, d, 4) → (B, 4d)
        guard let bias = rowConvGroup.bias else { return out }
        return out + bias.value.reshaped(1, 4 * d, 1, 1)
    }

    public override func forward(_ x: Tensor) -> Tensor { x.channelGated(channelAttention(x)) }
}
