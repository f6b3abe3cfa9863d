import NN
import TensorCore

/// Context encoding module of EncNet (catalogue D14) with its `Encoding` layer and SE-loss head.
///
/// Paper: Zhang et al., "Context Encoding for Semantic Segmentation", CVPR 2018, https://arxiv.org/abs/1803.08904
/// ```
/// Encoding:  a_ik = softmax_k(s_k ‖x_i − c_k‖²),   e_k = Σ_i a_ik (x_i − c_k)          (N, K, D)
/// en = mean_k ReLU(BN1d(Encoding(ReLU(BN2d(Conv1×1(X))))))                           (N, C)
/// Y = ReLU(X + X ⊙ σ(FC(en))),   se-logits = selayer(en)                              (N, nclass)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W); `forwardWithSELoss` also returns (N, nclass) logits.
/// State-dict keys: `encoding.0.weight`, `encoding.1.*` (BN2d), `encoding.3.codewords` (K, D), `encoding.3.scale` (K),
/// `encoding.4.*` (BN1d), `fc.0.{weight,bias}`, `selayer.{weight,bias}` (when se_loss).
/// Reference: seed 004 `EncModule`; official zhanghang1989/PyTorch-Encoding (`encoding/models/sseg/encnet.py`,
/// `encoding/nn/encoding.py`: codewords ~ U(−1/√(KD), 1/√(KD)), scale ~ U(−1, 0)).
/// Deviation: the seed's `norm_layer=None` default cannot run; BatchNorm2d is used after the conv and
/// BatchNorm1d over the K codes (the official code passes a BatchNorm there).
public final class EncModule: Module, @unchecked Sendable {
    /// Learned codewords with smoothing factors; (N, D, H, W) → (N, K, D) aggregated residuals.
    public final class Encoding: Module, @unchecked Sendable {
        public let codewords: Parameter
        public let scale: Parameter
        public let D: Int, K: Int

        public init(D: Int, K: Int) {
            self.D = D
            self.K = K
            let std1 = 1 / Float(K * D).squareRoot()
            codewords = Parameter(Tensor.rand([K, D], low: -std1, high: std1))
            scale = Parameter(Tensor.rand([K], low: -1, high: 0))
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let b = x.shape[0], d = x.shape[1], n = x.shape[2] * x.shape[3]
            let xt = x.reshaped(b, d, n).transposed(1, 2)                              // (B, N, D)
            let c = codewords.value
            // ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖²
            let dist = xt.square().sum(axis: 2, keepDims: true) - xt.matmul(c.t) * 2
                + c.square().sum(axis: 1).reshaped(1, 1, K)
            let a = (dist * scale.value.reshaped(1, 1, K)).softmax(axis: 2)             // (B, N, K)
            return a.transposed(1, 2).bmm(xt) - a.sum(axis: 1).reshaped(b, K, 1) * c.reshaped(1, K, D)
        }
    }

    /// Mean over one axis (PyTorch-Encoding's `Mean`).
    public final class Mean: Module, @unchecked Sendable {
        public let dim: Int, keepDim: Bool
        public init(dim: Int, keepDim: Bool = false) { self.dim = dim; self.keepDim = keepDim; super.init() }
        public override func forward(_ x: Tensor) -> Tensor { x.mean(axis: dim, keepDims: keepDim) }
    }

    public let encoding: Sequential
    public let fc: Sequential
    public let selayer: Linear?
    public let seLoss: Bool

    public init(inChannels: Int, nclass: Int, ncodes: Int = 32, seLoss: Bool = true) {
        self.seLoss = seLoss
        encoding = Sequential(Conv2d(inChannels: inChannels, outChannels: inChannels, kernelSize: 1, bias: false),
                              BatchNorm2d(numFeatures: inChannels), ReLU(), Encoding(D: inChannels, K: ncodes),
                              BatchNorm1d(numFeatures: ncodes), ReLU(), Mean(dim: 1))
        fc = Sequential(Linear(inFeatures: inChannels, outFeatures: inChannels), Sigmoid())
        selayer = seLoss ? Linear(inFeatures: inChannels, outFeatures: nclass) : nil
        super.init()
    }

    /// The reference's tuple: gated features and, with se_loss, the SE-loss logits (N, nclass).
    public func forwardWithSELoss(_ x: Tensor) -> (features: Tensor, seLogits: Tensor?) {
        let en = encoding(x)
        let y = fc(en).reshaped(x.shape[0], x.shape[1], 1, 1)
        return ((x + x * y).relu(), selayer.map { $0(en) })
    }

    /// The gated features (the tuple's first element).
    public override func forward(_ x: Tensor) -> Tensor { forwardWithSELoss(x).features }
}
