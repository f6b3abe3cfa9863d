import NN
import TensorCore

/// Residual Attention Network attention module (catalogue D30), the one-level (stage-3) form: a trunk branch and
/// a bottom-up/top-down soft mask branch, combined as attention residual learning.
///
/// Paper: Wang et al., "Residual Attention Network for Image Classification", CVPR 2017,
/// https://arxiv.org/abs/1704.06904
/// ```
/// x' = R₀(X)                              R = pre-activation bottleneck ResidualBlock
/// T  = R_t2(R_t1(x'))                      trunk
/// S  = R_s2(R_s1(MaxPool₃ₓ₃,s2,p1(x')))     soft mask branch, down
/// M  = σ(conv1×1(ReLU(BN(conv1×1(ReLU(BN(Up_bilinear,ac(S) + T)))))))    up, to T's size
/// Y  = R_last((1 + M) ⊙ T)
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C = in_channels = out_channels ≥ 4; with `size1` the input must be
/// size1 (the reference's `UpsamplingBilinear2d(size=size1)` is added to the trunk).
/// State-dict keys: `first_residual_blocks.*`, `trunk_branches.{0,1}.*`, `softmax1_blocks.{0,1}.*`,
/// `softmax2_blocks.{0,2,3,5}.*` (BN, conv, BN, conv), `last_blocks.*`; each ResidualBlock has
/// `bn1.*`, `conv1.weight`, `bn2.*`, `conv2.weight`, `bn3.*`, `conv3.weight`, `conv4.weight`.
/// Reference: tengshaofeng/ResidualAttentionNetwork-pytorch `Residual-Attention-Network/model/attention_module.py`
/// `AttentionModule_stage3(in_channels, out_channels, size1)` with `model/basic_layers.py` `ResidualBlock`;
/// PyTorch transcription in `scripts/fixtures/zoo_seed003B2.py`.
/// Deviation: `size1 = nil` (our default) resizes the mask to the trunk's size, which is what `size1` must equal
/// anyway; the bottleneck width is `out_channels // 4` (the Python-2 reference writes `/`).
/// Quirk: every ResidualBlock keeps its `conv4` shortcut convolution even though it is only used when the
/// channels or stride change (never here), so `conv4.weight` is in the state dict with a zero gradient.
public final class AttentionModuleStage3: Module, @unchecked Sendable {
    /// Pre-activation bottleneck: BN-ReLU-conv1×1 (C/4), BN-ReLU-conv3×3, BN-ReLU-conv1×1 (C), plus the input
    /// (or `conv4` of the activated input when the channels or the stride change).
    public final class ResidualBlock: Module, @unchecked Sendable {
        public let bn1: BatchNorm2d
        public let relu = ReLU()
        public let conv1: Conv2d
        public let bn2: BatchNorm2d
        public let conv2: Conv2d
        public let bn3: BatchNorm2d
        public let conv3: Conv2d
        public let conv4: Conv2d
        public let inputChannels: Int, outputChannels: Int, stride: Int

        public init(inputChannels: Int, outputChannels: Int, stride: Int = 1) {
            let mid = outputChannels / 4
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.stride = stride
            bn1 = BatchNorm2d(numFeatures: inputChannels)
            conv1 = Conv2d(inChannels: inputChannels, outChannels: mid, kernelSize: 1, bias: false)
            bn2 = BatchNorm2d(numFeatures: mid)
            conv2 = Conv2d(inChannels: mid, outChannels: mid, kernelSize: 3, stride: stride, padding: 1, bias: false)
            bn3 = BatchNorm2d(numFeatures: mid)
            conv3 = Conv2d(inChannels: mid, outChannels: outputChannels, kernelSize: 1, bias: false)
            conv4 = Conv2d(inChannels: inputChannels, outChannels: outputChannels, kernelSize: 1, stride: stride, bias: false)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let out1 = relu(bn1(x))
            var out = relu(bn2(conv1(out1)))
            out = relu(bn3(conv2(out)))
            out = conv3(out)
            let residual = inputChannels != outputChannels || stride != 1 ? conv4(out1) : x
            return out + residual
        }
    }

    public let firstResidualBlocks: ResidualBlock
    public let trunkBranches: Sequential
    public let mpool1 = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    public let softmax1Blocks: Sequential
    public let softmax2Blocks: Sequential
    public let lastBlocks: ResidualBlock
    /// The mask's output size; nil: the trunk's size.
    public let size1: (Int, Int)?

    public init(inChannels: Int = 256, outChannels: Int = 256, size1: (Int, Int)? = nil) {
        precondition(inChannels == outChannels && outChannels >= 4,
                     "AttentionModuleStage3: in_channels (\(inChannels)) must equal out_channels (\(outChannels)) ≥ 4")
        func block() -> ResidualBlock { ResidualBlock(inputChannels: inChannels, outputChannels: outChannels) }
        firstResidualBlocks = block()
        trunkBranches = Sequential(block(), block())
        softmax1Blocks = Sequential(block(), block())
        softmax2Blocks = Sequential(
            BatchNorm2d(numFeatures: outChannels), ReLU(),
            Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 1, bias: false),
            BatchNorm2d(numFeatures: outChannels), ReLU(),
            Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 1, bias: false),
            Sigmoid())
        lastBlocks = block()
        self.size1 = size1
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "AttentionModuleStage3: expected a (N, C, H, W) input, got \(x.shape)")
        let x = firstResidualBlocks(x)
        let trunk = trunkBranches(x)
        let soft1 = softmax1Blocks(mpool1(x))
        let size = size1 ?? (trunk.shape[2], trunk.shape[3])
        checkShape(size == (trunk.shape[2], trunk.shape[3]),
                   "AttentionModuleStage3: size1 \(size) differs from the input's spatial size \(Array(trunk.shape[2...]))")
        let mask = softmax2Blocks(soft1.interpolate(size: size, mode: .bilinear, alignCorners: true) + trunk)
        return lastBlocks((1 + mask) * trunk)
    }
}
