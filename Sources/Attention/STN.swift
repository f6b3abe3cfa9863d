import NN
import TensorCore

/// Spatial transformer network (catalogue D20): a localisation network regresses an affine θ
/// per sample, the input is resampled on the grid θ spans.
///
/// Paper: Jaderberg et al., "Spatial Transformer Networks", NeurIPS 2015, https://arxiv.org/abs/1506.02025
/// ```
/// θ = fc_loc(localization(X)) ∈ ℝ^{2×3},  G = affine_grid(θ),  Y = grid_sample(X, G)   (bilinear, zeros)
/// ```
/// Shapes: (N, C, size, size) → (N, C, size, size).
/// State-dict keys: `localization.0.*` (8, C, 7, 7), `localization.3.*` (10, 8, 5, 5), `fc_loc.0.*`
/// (32, 10·s²) with s = ((size − 6) / 2 − 4) / 2, `fc_loc.2.*` (6, 32).
/// Reference: the PyTorch spatial transformer tutorial (`Net.localization`, `Net.fc_loc`, `Net.stn`),
/// parameterised by `in_channels` and the square input `size` (the tutorial fixes 1 and 28).
/// Init: `fc_loc.2` weight 0, bias (1, 0, 0, 0, 1, 0): the identity transform.
/// Quirk: `align_corners=False` for both affine_grid and grid_sample (PyTorch's default).
public final class STN: Module, @unchecked Sendable {
    public let localization: Sequential
    public let fcLoc: Sequential
    /// Features after the localisation network (10·s²).
    public let flat: Int

    public init(inChannels: Int = 1, size: Int = 28) {
        let s = ((size - 6) / 2 - 4) / 2
        flat = 10 * s * s
        localization = Sequential(Conv2d(inChannels: inChannels, outChannels: 8, kernelSize: 7), MaxPool2d(kernelSize: 2, stride: 2), ReLU(),
                                  Conv2d(inChannels: 8, outChannels: 10, kernelSize: 5), MaxPool2d(kernelSize: 2, stride: 2), ReLU())
        let last = Linear(inFeatures: 32, outFeatures: 6)
        fcLoc = Sequential(Linear(inFeatures: flat, outFeatures: 32), ReLU(), last)
        super.init()
        Init.zeros(last.weight)
        last.bias!.assign(Tensor([1, 0, 0, 0, 1, 0], shape: [6]))
    }

    /// The affine transforms (N, 2, 3) the localisation network predicts for `x`.
    public func theta(_ x: Tensor) -> Tensor {
        let l = localization.layers
        // conv → max-pool 2 → ReLU twice, with pool and ReLU fused (same values and gradients).
        let y1 = (l[0](x)).maxPool2x2(relu: true)
        let y2 = (l[3](y1)).maxPool2x2(relu: true)
        return fcLoc(y2.reshaped(x.shape[0], flat)).reshaped(x.shape[0], 2, 3)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let grid = Tensor.affineGrid(theta: theta(x), size: x.shape, alignCorners: false)
        return x.gridSample(grid, alignCorners: false)
    }
}
