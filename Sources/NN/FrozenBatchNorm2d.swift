import TensorCore

/// BatchNorm2d with fixed statistics and affine parameters (torchvision.ops.misc.FrozenBatchNorm2d),
/// the norm layer of torchvision's detection backbones.
/// ```
/// scale = weight · (running_var + eps)^(-1/2)      y = x · scale + (bias − running_mean · scale)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), in train and eval alike.
/// State-dict keys: `weight`, `bias`, `running_mean`, `running_var` — all buffers, as torchvision.
/// A BatchNorm2d state dict loads into it: its `num_batches_tracked` is dropped on load, as
/// torchvision's `_load_from_state_dict` does (see `ignoredStateKeys`).
public final class FrozenBatchNorm2d: Module, @unchecked Sendable {
    public let weight: Buffer
    public let bias: Buffer
    public let runningMean: Buffer
    public let runningVar: Buffer
    public let numFeatures: Int
    public let eps: Float

    public init(numFeatures: Int, eps: Float = 1e-5) {
        self.numFeatures = numFeatures
        self.eps = eps
        weight = Buffer(Tensor.ones([numFeatures]))
        bias = Buffer(Tensor.zeros([numFeatures]))
        runningMean = Buffer(Tensor.zeros([numFeatures]))
        runningVar = Buffer(Tensor.ones([numFeatures]))
        super.init()
    }

    public override class var ignoredStateKeys: [String] { ["num_batches_tracked"] }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[1] == numFeatures,
                   "FrozenBatchNorm2d: input \(x.shape) is not (N, \(numFeatures), H, W)")
        // One fused pass: eval-mode batch norm is x·scale + shift with the same scale and shift
        // (rounding differs from torchvision's two-step form by an ulp).
        return x.batchNorm(runningMean: runningMean.value, runningVar: runningVar.value, weight: weight.value,
                           bias: bias.value, training: false, momentum: 0, eps: eps)
    }
}
