import NN
import TensorCore

/// Gated Channel Transformation (catalogue D12).
///
/// Paper: Yang et al., "Gated Channel Transformation for Visual Recognition", CVPR 2020, https://arxiv.org/abs/1909.11519
/// ```
/// l2: e = α · √(Σ_hw x² + ε),   n = γ / √(mean_c e² + ε)
/// l1: e = α · Σ_hw |x|  (x itself when after_relu),   n = γ / (mean_c |e| + ε)
/// Y = X · (1 + tanh(e · n + β))
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `alpha`, `gamma`, `beta`, each (1, C, 1, 1) (α = 1, γ = β = 0 at init: the module starts as identity).
/// Reference: seed 004 `GCT`; official z-x-yang/GCT (PyTorch).
public final class GCT: Module, @unchecked Sendable {
    /// Embedding norm of `GCT`.
    public enum Mode: String, Sendable, CaseIterable { case l2, l1 }

    public let alpha: Parameter
    public let gamma: Parameter
    public let beta: Parameter
    public let epsilon: Float
    public let mode: Mode
    public let afterRelu: Bool

    public init(numChannels: Int, epsilon: Float = 1e-5, mode: Mode = .l2, afterRelu: Bool = false) {
        alpha = Parameter(Tensor.ones([1, numChannels, 1, 1]))
        gamma = Parameter(Tensor.zeros([1, numChannels, 1, 1]))
        beta = Parameter(Tensor.zeros([1, numChannels, 1, 1]))
        self.epsilon = epsilon
        self.mode = mode
        self.afterRelu = afterRelu
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let embedding: Tensor, norm: Tensor
        switch mode {
        case .l2:
            embedding = (x.rowReduced(.sumOfSquares) + epsilon).sqrt() * alpha.value
            norm = gamma.value / ((embedding * embedding).mean(axis: 1, keepDims: true) + epsilon).sqrt()
        case .l1:
            embedding = x.rowReduced(afterRelu ? .sum : .absSum) * alpha.value
            norm = gamma.value / (embedding.abs().mean(axis: 1, keepDims: true) + epsilon)
        }
        return x.channelGated((embedding * norm + beta.value).tanh() + 1)
    }
}
