import NN
import TensorCore

/// Concurrent spatial and channel squeeze-and-excitation, scSE (catalogue D31).
///
/// Paper: Roy, Navab, Wachinger, "Concurrent Spatial and Channel Squeeze & Excitation in Fully
/// Convolutional Networks", MICCAI 2018, https://arxiv.org/abs/1803.02579 (fusions: the journal
/// version, "Recalibrating Fully Convolutional Networks with Spatial and Channel SE Blocks", TMI 2019)
/// ```
/// cSE(X) = X ⊙ σ(W₂ ReLU(W₁ GAP(X) + b₁) + b₂)       sSE(X) = X ⊙ σ(conv1×1(X))
/// Y = max(cSE, sSE) | cSE + sSE | cSE ⊙ sSE | [cSE ‖ sSE]     (mode max / add / mul / concat)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W); mode `concat` → (N, 2C, H, W).
/// State-dict keys: `cSE.1.weight`, `cSE.1.bias`, `cSE.3.weight`, `cSE.3.bias`, `sSE.0.weight`, `sSE.0.bias`.
/// Reference: segmentation_models_pytorch `SCSEModule` (keys and the `add` fusion); the other
/// three fusions from the paper (max-out as `torch.max(a, b)`: ties split the gradient in halves).
public final class SCSEModule: Module, @unchecked Sendable {
    /// How the channel and spatial branches are fused.
    public enum Mode: String, CaseIterable, Sendable { case max, add, mul, concat }

    public let cSE: Sequential
    public let sSE: Sequential
    public let mode: Mode

    public override class var stateKeyOverrides: [String: String] { ["cSE": "cSE", "sSE": "sSE"] }

    public init(inChannels: Int = 64, reduction: Int = 16, mode: Mode = .add) {
        let mid = inChannels / reduction
        cSE = Sequential(AdaptiveAvgPool2d(1), Conv2d(inChannels: inChannels, outChannels: mid, kernelSize: 1), ReLU(inplace: true),
                         Conv2d(inChannels: mid, outChannels: inChannels, kernelSize: 1), Sigmoid())
        sSE = Sequential(Conv2d(inChannels: inChannels, outChannels: 1, kernelSize: 1), Sigmoid())
        self.mode = mode
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let c = x * cSE(x), s = x * sSE(x)
        switch mode {
        case .add: return c + s
        case .max: return c.maximum(s)
        case .mul: return c * s
        case .concat: return Tensor.cat([c, s], axis: 1)
        }
    }
}
