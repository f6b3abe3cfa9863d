import Attention

/// Everything a `ResNet` is built from: torchvision's constructor options plus the seeds'
/// variants and the attention slot.
public struct ResNetConfig: Sendable {
    /// The residual unit of every stage.
    public enum Block: String, Sendable {
        /// torchvision's BasicBlock / Bottleneck.
        case basic, bottleneck
        /// timm's ResNestBottleneck (radix 2, avd).
        case resnest
        /// Seed 000's SKUnit (stages of 256/512/1024/2048 channels, every first unit stride 2).
        case skUnit
        /// Seed 000's ResNeXt `Block` (expansion 2, cardinality `groups`, every first block stride 2).
        case seedResNeXt
    }

    /// An attention module every block of the named backbone holds under a fixed name.
    public enum BlockAttention: String, Sendable {
        /// senet.pytorch's `SELayer(C, 16)` as `se` (= seed 000's SEBlock).
        case se
        /// Seed 000's `CBAM(planes)` as `cbam`, at `after_conv3`.
        case cbam
        /// timm's `SEModule(C)` (`TimmSEModule`) as `se` (timm's `seresnet*`).
        case timmSE
        /// timm's `EcaModule(C)` as `se`: the zoo's `ECALayer` (adaptive k, no bias), timm's `ecaresnet*`.
        case timmECA

        /// The name the module has in every block (its state-dict keys' prefix).
        public var moduleName: String { self == .cbam ? "cbam" : "se" }
    }

    public var name: String
    public var block: Block
    public var layers: [Int]
    public var numClasses = 1000
    public var zeroInitResidual = false
    public var groups = 1
    public var widthPerGroup = 64
    /// mmdetection's `base_channels`: the stem's output and stage i's `planes` = base·2^i
    /// (torchvision: 64). Narrower networks for small CPUs; not a torchvision option.
    public var baseChannels = 64
    /// Per stage 2…4: replace the stride by dilation (torchvision).
    public var replaceStrideWithDilation = [false, false, false]
    public var norm: NormLayer = .batchNorm2d
    /// timm's deep stem (three 3×3 convs) of this width; nil = torchvision's 7×7 conv.
    public var deepStemWidth: Int?
    /// timm's avg_down: projection shortcuts average-pool, then a stride-1 1×1 conv.
    public var avgDown = false
    /// Whether the stem ends in the 3×3 stride-2 max pool.
    public var stemMaxPool = true
    /// The attention slot: plugins at chosen stages and positions of every block.
    public var plugins: [AttentionPlugin] = []
    /// A module of the named backbone in every block (`se`, `cbam`).
    public var blockAttention: BlockAttention?
    /// Seed 000's pretrained-safe CBAM: `ca`/`sa` after the stem's ReLU, `ca1`/`sa1` after layer4.
    public var cbamOutsideBlocks = false
    /// With the pool and classifier (`fc`); false = `features_only`.
    public var includeHead = true

    public init(name: String, block: Block, layers: [Int]) {
        self.name = name
        self.block = block
        self.layers = layers
    }
}
