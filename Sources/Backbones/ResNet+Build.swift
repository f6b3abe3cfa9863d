import Attention
import NN
import TensorCore

extension ResNet {
    /// Builds the network `config` describes, with torchvision's initialisation (He-normal
    /// fan-out convolutions, BatchNorm 1/0, zero-init of each block's last BN weight when
    /// `zeroInitResidual`; linear layers keep PyTorch's default).
    public static func build(_ config: ResNetConfig) throws -> ResNet {
        guard config.layers.count == 4, config.layers.allSatisfy({ $0 > 0 }) else {
            throw BackboneError("\(config.name): layers \(config.layers) must be four positive block counts")
        }
        guard config.groups > 0, config.widthPerGroup > 0 else {
            throw BackboneError("\(config.name): groups \(config.groups) and width_per_group \(config.widthPerGroup) must be positive")
        }
        guard config.replaceStrideWithDilation.count == 3 else {
            throw BackboneError("\(config.name): replace_stride_with_dilation needs 3 entries, got \(config.replaceStrideWithDilation.count)")
        }
        guard config.numClasses > 0 || !config.includeHead else { throw BackboneError("\(config.name): num_classes must be positive") }
        let (conv1, stemChannels) = stemConv(config)
        let bn1: Module = config.block == .skUnit || config.block == .seedResNeXt ? BatchNorm2d(numFeatures: stemChannels)
                                                                                  : config.norm.make(stemChannels)
        let maxpool = config.stemMaxPool ? MaxPool2d(kernelSize: 3, stride: 2, padding: 1) : nil
        var stages: [Sequential] = [], channels: [Int] = [], strides: [Int] = []
        var inplanes = stemChannels, dilation = 1, stride = config.stemMaxPool ? 4 : 2
        for i in 0..<4 {
            var s = i == 0 ? 1 : 2
            let previousDilation = dilation
            if i > 0, config.replaceStrideWithDilation[i - 1] { dilation *= s; s = 1 }
            var blocks: [Module] = []
            let out: Int
            switch config.block {
            case .skUnit, .seedResNeXt:
                guard !config.replaceStrideWithDilation.contains(true) else {
                    throw BackboneError("\(config.name): replace_stride_with_dilation is not supported by seed 000's units")
                }
                s = 2
                let seed = try seedStage(config, stage: i, inplanes: inplanes)
                blocks = seed.blocks
                out = seed.out
            case .basic, .bottleneck, .resnest:
                let planes = config.baseChannels << i
                let expansion = config.block == .basic ? BasicBlock.expansion : Bottleneck.expansion
                out = planes * expansion
                for j in 0..<config.layers[i] {
                    var ctx = BlockContext(norm: config.norm, groups: config.groups, baseWidth: config.widthPerGroup,
                                           dilation: j == 0 ? previousDilation : dilation)
                    let name = "layer\(i + 1).\(j)"
                    let first = j == 0
                    let downsample = first && (s != 1 || inplanes != out) ? projection(config, from: inplanes, to: out, stride: s, dilation: dilation) : nil
                    switch config.block {
                    case .basic:
                        ctx.plugins = try plugins(config, stage: i + 1, block: name, channels: BasicBlock.channels(planes: planes))
                        blocks.append(try BasicBlock(inplanes: first ? inplanes : out, planes: planes, stride: first ? s : 1,
                                                     downsample: downsample, context: ctx))
                    case .bottleneck:
                        ctx.plugins = try plugins(config, stage: i + 1, block: name, channels: Bottleneck.channels(planes: planes, context: ctx))
                        blocks.append(try Bottleneck(inplanes: first ? inplanes : out, planes: planes, stride: first ? s : 1,
                                                     downsample: downsample, context: ctx))
                    default:
                        ctx.plugins = try plugins(config, stage: i + 1, block: name, channels: Bottleneck.channels(planes: planes, context: ctx))
                        blocks.append(ResNeStBottleneck(inplanes: first ? inplanes : out, planes: planes, stride: first ? s : 1,
                                                        downsample: downsample, context: ctx))
                    }
                }
            }
            stride *= s
            inplanes = out
            stages.append(Sequential(blocks))
            channels.append(out)
            strides.append(stride)
        }
        let net = ResNet(config: config, conv1: conv1, bn1: bn1, maxpool: maxpool, layers: stages,
                         stageChannels: channels, stageStrides: strides)
        net.initialiseTorchvision()
        return net
    }

    /// torchvision's 7×7 stride-2 conv, or timm's deep stem.
    private static func stemConv(_ config: ResNetConfig) -> (Module, Int) {
        guard let w = config.deepStemWidth else {
            let c = config.baseChannels
            return (Conv2d(inChannels: 3, outChannels: c, kernelSize: 7, stride: 2, padding: 3, bias: false), c)
        }
        let seq = Sequential(Conv2d(inChannels: 3, outChannels: w, kernelSize: 3, stride: 2, padding: 1, bias: false),
                             config.norm.make(w), ReLU(),
                             Conv2d(inChannels: w, outChannels: w, kernelSize: 3, padding: 1, bias: false),
                             config.norm.make(w), ReLU(),
                             Conv2d(inChannels: w, outChannels: 2 * w, kernelSize: 3, padding: 1, bias: false))
        return (seq, 2 * w)
    }

    /// The projection shortcut: conv1×1(stride) → norm, or with avg_down pool → conv1×1 → norm.
    private static func projection(_ config: ResNetConfig, from: Int, to: Int, stride: Int, dilation: Int) -> Module {
        guard config.avgDown else {
            return Sequential(Conv2d(inChannels: from, outChannels: to, kernelSize: 1, stride: stride, bias: false), config.norm.make(to))
        }
        let pool: Module = stride == 1 ? Identity()
            : AvgPool2d(kernelSize: 2, stride: stride, ceilMode: true, countIncludePad: false)
        return Sequential(pool, Conv2d(inChannels: from, outChannels: to, kernelSize: 1, bias: false), config.norm.make(to))
    }

    /// The blocks of one stage of seed 000's SKNet or ResNeXt.
    private static func seedStage(_ config: ResNetConfig, stage i: Int, inplanes: Int) throws -> (blocks: [Module], out: Int) {
        var blocks: [Module] = []
        let name = { (j: Int) in "layer\(i + 1).\(j)" }
        switch config.block {
        case .skUnit:
            let out = 256 << i
            for j in 0..<config.layers[i] {
                blocks.append(try SeedResidualBlock.skUnit(inChannels: j == 0 ? inplanes : out, outChannels: out) {
                    try plugins(config, stage: i + 1, block: name(j), channels: $0)
                })
            }
            return (blocks, out)
        default:
            let gw = 128 << i
            for j in 0..<config.layers[i] {
                blocks.append(try SeedResidualBlock.resNeXt(inChannels: j == 0 ? inplanes : 2 * gw, gw: gw, cardinality: config.groups,
                                                            stride: j == 0 ? 2 : 1) {
                    try plugins(config, stage: i + 1, block: name(j), channels: $0)
                })
            }
            return (blocks, 2 * gw)
        }
    }

    /// The fixed attention of a named backbone, then the slot's plugins.
    private static func plugins(_ config: ResNetConfig, stage: Int, block: String,
                                channels: (SlotPosition) -> Int) throws -> BlockPlugins {
        let slot = try BlockPlugins.make(config.plugins, stage: stage, block: block, channels: channels)
        guard let fixed = config.blockAttention else { return slot }
        let c = channels(.afterConv3)
        let module: Module
        switch fixed {
        case .se: module = SEBlock(channel: c, r: 16)
        case .cbam: module = CBAM(planes: c)
        case .timmSE: module = TimmSEModule(channels: c)
        case .timmECA: module = ECALayer(channel: c)
        }
        let own = BlockPlugins.fixed(fixed.moduleName, module, at: .afterConv3)
        return BlockPlugins(named: own.named + slot.named, positions: own.positions + slot.positions)
    }

    /// torchvision's `ResNet.__init__` initialisation.
    func initialiseTorchvision() {
        for (_, m) in namedModules() {
            if let conv = m as? Conv2d {
                Init.kaimingNormal(conv.weight, mode: .fanOut, nonlinearity: "relu")
            } else if let bn = m as? BatchNormBase {
                if let w = bn.weight { Init.ones(w) }
                if let b = bn.bias { Init.zeros(b) }
            }
        }
        guard config.zeroInitResidual else { return }
        for stage in stages {
            for block in stage.layers {
                let last: Module? = (block as? Bottleneck)?.lastNorm ?? (block as? BasicBlock)?.lastNorm ?? (block as? ResNeStBottleneck)?.lastNorm
                if let bn = last as? BatchNormBase, let w = bn.weight { Init.zeros(w) }
            }
        }
    }
}
