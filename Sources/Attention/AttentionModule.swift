import NN
import TensorCore

/// Residual Attention Network attention module (catalogue D30): a trunk branch and a bottom-up/top-down soft mask
/// branch with max-pool levels, skip connections and bilinear upsampling, combined as attention residual learning.
///
/// Paper: Wang et al., "Residual Attention Network for Image Classification", CVPR 2017,
/// https://arxiv.org/abs/1704.06904
/// ```
/// x' = R(X),  T = R(R(x'))                                   R = pre-activation bottleneck ResidualBlock; trunk
/// S₁ = R(MaxPool(x')),  Sᵢ = R(MaxPool(Sᵢ₋₁))  (i < L)       down; MaxPool 3×3, stride 2, padding 1
/// S_L = R(R(MaxPool(S_{L−1})))                                the lowest level (L = 4 − stage levels)
/// U_L = S_L,  Uᵢ = R(Up(Uᵢ₊₁) + Sᵢ + Skipᵢ(Sᵢ))  (i = L−1 … 1)   up; Up = bilinear, align corners, to Sᵢ's size
/// M  = σ(conv1×1(ReLU(BN(conv1×1(ReLU(BN(Up(U₁) + T)))))))
/// Y  = R((1 + M) ⊙ T)
/// ```
/// `stage` 3 (one level: `AttentionModule_stage3`, the 14×14 stage), 2 (two: `_stage2`, 28×28), 1 (three:
/// `_stage1`, 56×56).
/// Shapes: (N, C, H, W) → (N, C, H, W), C = in_channels = out_channels ≥ 4; with `size1` (stage 3) the input must
/// be size1 (the reference's `UpsamplingBilinear2d(size=size1)` is added to the trunk).
/// State-dict keys (stage 3): `first_residual_blocks.*`, `trunk_branches.{0,1}.*`, `softmax1_blocks.{0,1}.*`,
/// `softmax2_blocks.{0,2,3,5}.*` (BN, conv, BN, conv), `last_blocks.*`; stage 2 and 1 add
/// `skip{i}_connection_residual_block.*` and number the `softmax{k}_blocks` down and up as the reference does.
/// Each ResidualBlock has `bn1.*`, `conv1.weight`, `bn2.*`, `conv2.weight`, `bn3.*`, `conv3.weight`, `conv4.weight`.
/// Reference: tengshaofeng/ResidualAttentionNetwork-pytorch `Residual-Attention-Network/model/attention_module.py`
/// `AttentionModule_stage1/2/3(in_channels, out_channels, size…)` with `model/basic_layers.py` `ResidualBlock`;
/// PyTorch transcription in `scripts/fixtures/zoo_seed003B2.py`.
/// Deviation: every upsampling goes to the size of the level it is added to (the reference's fixed `size1`,
/// `size2`, `size3` must equal those for the sums to exist); `size1` can still pin stage 3's input size. The
/// bottleneck width is `out_channels // 4` (the Python-2 reference writes `/`).
/// Quirk: every ResidualBlock keeps its `conv4` shortcut convolution even though it is only used when the
/// channels or stride change (never here), so `conv4.weight` is in the state dict with a zero gradient.
public final class AttentionModule: Module, @unchecked Sendable {
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

    /// The mask branch's modules by level, for the forward pass (registered through `mask`).
    private struct Levels {
        var down: [Module] = []     // softmax1 … softmaxL (the last a pair of blocks)
        var skip: [Module] = []     // skip1 … skip(L−1)
        var up: [Module] = []       // softmax(L+1) … softmax(2L−1), applied from level L−1 up to 1
        var head: Module = Sequential()
    }

    public let firstResidualBlocks: ResidualBlock
    public let trunkBranches: Sequential
    /// `softmax{k}_blocks` and `skip{i}_connection_residual_block` in the reference's order.
    public let mask: [(String, Module)]
    public let lastBlocks: ResidualBlock
    private let levels: Levels
    public let mpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    public let stage: Int
    /// Stage 3's mask output size; nil: the trunk's size.
    public let size1: (Int, Int)?

    public override class var stateKeyOverrides: [String: String] { ["mask": ""] }

    public init(inChannels: Int = 256, outChannels: Int = 256, stage: Int = 3, size1: (Int, Int)? = nil) {
        precondition(inChannels == outChannels && outChannels >= 4,
                     "AttentionModule: in_channels (\(inChannels)) must equal out_channels (\(outChannels)) ≥ 4")
        precondition((1...3).contains(stage) && (size1 == nil || stage == 3), "AttentionModule: stage \(stage) is not 1, 2 or 3 (size1 only with 3)")
        func block() -> ResidualBlock { ResidualBlock(inputChannels: inChannels, outputChannels: outChannels) }
        firstResidualBlocks = block()
        trunkBranches = Sequential(block(), block())
        let depth = 4 - stage
        var named: [(String, Module)] = []
        var lv = Levels()
        for i in 1...depth {
            let down: Module = i == depth ? Sequential(block(), block()) : block()
            named.append(("softmax\(i)_blocks", down))
            lv.down.append(down)
            if i < depth {
                let skip = block()
                named.append(("skip\(i)_connection_residual_block", skip))
                lv.skip.append(skip)
            }
        }
        for k in (depth + 1)..<(2 * depth) {
            let up = block()
            named.append(("softmax\(k)_blocks", up))
            lv.up.append(up)
        }
        lv.head = Sequential(
            BatchNorm2d(numFeatures: outChannels), ReLU(),
            Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 1, bias: false),
            BatchNorm2d(numFeatures: outChannels), ReLU(),
            Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 1, bias: false),
            Sigmoid())
        named.append(("softmax\(2 * depth)_blocks", lv.head))
        mask = named
        levels = lv
        lastBlocks = block()
        self.stage = stage
        self.size1 = size1
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "AttentionModule: expected a (N, C, H, W) input, got \(x.shape)")
        let x = firstResidualBlocks(x)
        let trunk = trunkBranches(x)
        if let size1 {
            checkShape(size1 == (trunk.shape[2], trunk.shape[3]),
                       "AttentionModule: size1 \(size1) differs from the input's spatial size \(Array(trunk.shape[2...]))")
        }
        // Down: Sᵢ and Skipᵢ(Sᵢ).
        var s: [Tensor] = [], skips: [Tensor] = []
        var cur = x
        for (i, down) in levels.down.enumerated() {
            cur = down(mpool(cur))
            s.append(cur)
            if i < levels.skip.count { skips.append(levels.skip[i](cur)) }
        }
        // Up: Uᵢ = R(Up(Uᵢ₊₁) + Sᵢ + Skipᵢ), from the second-lowest level to the first.
        var u = s[s.count - 1]
        for (j, up) in levels.up.enumerated() {
            let i = s.count - 2 - j
            u = up(u.interpolate(size: (s[i].shape[2], s[i].shape[3]), mode: .bilinear, alignCorners: true) + s[i] + skips[i])
        }
        let m = levels.head(u.interpolate(size: (trunk.shape[2], trunk.shape[3]), mode: .bilinear, alignCorners: true) + trunk)
        return lastBlocks((1 + m) * trunk)
    }
}
