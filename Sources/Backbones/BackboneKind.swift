import Attention

/// The registry of named backbones: name, catalogue ID, source followed and configuration.
public struct BackboneEntry: Sendable {
    public let name: String
    public let catalogueID: String
    /// `torchvision`, `timm` or `seed 000`, with the function or class followed.
    public let source: String
    /// Notes a user should know (deviations, quirks).
    public let note: String
    let base: @Sendable () -> ResNetConfig

    /// The configuration with its defaults.
    public var config: ResNetConfig { base() }
}

public enum BackboneKind {
    public static let entries: [BackboneEntry] = torchvisionEntries + seedEntries

    static let torchvisionEntries: [BackboneEntry] = [
        tv("resnet18", .basic, [2, 2, 2, 2]), tv("resnet34", .basic, [3, 4, 6, 3]),
        tv("resnet50", .bottleneck, [3, 4, 6, 3]), tv("resnet101", .bottleneck, [3, 4, 23, 3]),
        tv("resnet152", .bottleneck, [3, 8, 36, 3]),
        tv("resnext50_32x4d", .bottleneck, [3, 4, 6, 3], groups: 32, width: 4, id: "C3"),
        tv("resnext101_32x8d", .bottleneck, [3, 4, 23, 3], groups: 32, width: 8, id: "C3"),
        tv("wide_resnet50_2", .bottleneck, [3, 4, 6, 3], width: 128),
    ]

    static let seedEntries: [BackboneEntry] = [
        BackboneEntry(name: "se_resnet34", catalogueID: "C1", source: "seed 000 (senet.pytorch se_resnet34: SEBasicBlock, SELayer)",
                      note: "SELayer(planes, 16) as `se` after bn2") {
            var c = ResNetConfig(name: "se_resnet34", block: .basic, layers: [3, 4, 6, 3]); c.blockAttention = .se; return c
        },
        BackboneEntry(name: "se_resnet50", catalogueID: "C1", source: "seed 000 (senet.pytorch se_resnet50: SEBottleneck, SELayer)",
                      note: "SELayer(planes·4, 16) as `se` after bn3") {
            var c = ResNetConfig(name: "se_resnet50", block: .bottleneck, layers: [3, 4, 6, 3]); c.blockAttention = .se; return c
        },
        BackboneEntry(name: "sknet50", catalogueID: "C2", source: "seed 000 (SKUnit, [3,4,6,3])",
                      note: "stem without max pool: every stage's first SKUnit has stride 2 (in ≠ out), so C2…C5 keep strides 4…32") {
            var c = ResNetConfig(name: "sknet50", block: .skUnit, layers: [3, 4, 6, 3]); c.stemMaxPool = false; return c
        },
        BackboneEntry(name: "seed_resnext50_32x4d", catalogueID: "C3", source: "seed 000 (ResNeXt50_32x4d: Block, expansion 2)",
                      note: "not torchvision's resnext50_32x4d: group widths 128…1024, expansion 2, and every stage (layer1 too) starts with stride 2, so C2…C5 have strides 8…64") {
            var c = ResNetConfig(name: "seed_resnext50_32x4d", block: .seedResNeXt, layers: [3, 4, 6, 3]); c.groups = 32; return c
        },
        BackboneEntry(name: "resnest50d", catalogueID: "C4", source: "timm resnest50d (deep stem 32, avg_down, radix 2, avd)",
                      note: "timm's keys and outputs") {
            var c = ResNetConfig(name: "resnest50d", block: .resnest, layers: [3, 4, 6, 3])
            c.deepStemWidth = 32; c.avgDown = true; return c
        },
        BackboneEntry(name: "seresnet50", catalogueID: "C1", source: "timm seresnet50 (Bottleneck, SEModule)",
                      note: "timm's keys and outputs: torchvision's resnet50 with SEModule(C) as `se` after bn3 (1×1 convs with biases, C/16 rounded to 8); not seed 000's se_resnet50") {
            var c = ResNetConfig(name: "seresnet50", block: .bottleneck, layers: [3, 4, 6, 3]); c.blockAttention = .timmSE; return c
        },
        BackboneEntry(name: "ecaresnet50d", catalogueID: "C1", source: "timm ecaresnet50d (deep stem 32, avg_down, EcaModule)",
                      note: "timm's keys and outputs: ResNet-D with EcaModule(C) (adaptive k, = the zoo's ECALayer) as `se` after bn3") {
            var c = ResNetConfig(name: "ecaresnet50d", block: .bottleneck, layers: [3, 4, 6, 3]); c.blockAttention = .timmECA
            c.deepStemWidth = 32; c.avgDown = true; return c
        },
        BackboneEntry(name: "cbam_resnet50", catalogueID: "C5", source: "seed 000 / CBAM paper (CBAM(planes·4) in every Bottleneck)",
                      note: "CBAM as `cbam` after bn3 of every block") {
            var c = ResNetConfig(name: "cbam_resnet50", block: .bottleneck, layers: [3, 4, 6, 3]); c.blockAttention = .cbam; return c
        },
        BackboneEntry(name: "cbam_resnet50_safe", catalogueID: "C5", source: "seed 000 (ca/sa after conv1, ca1/sa1 after layer4)",
                      note: "torchvision resnet50 weights load with strict=false; only ca.*, sa.*, ca1.*, sa1.* are missing") {
            var c = ResNetConfig(name: "cbam_resnet50_safe", block: .bottleneck, layers: [3, 4, 6, 3]); c.cbamOutsideBlocks = true; return c
        },
    ]

    private static func tv(_ name: String, _ block: ResNetConfig.Block, _ layers: [Int], groups: Int = 1, width: Int = 64,
                           id: String = "C1") -> BackboneEntry {
        BackboneEntry(name: name, catalogueID: id, source: "torchvision \(name)", note: "") {
            var c = ResNetConfig(name: name, block: block, layers: layers)
            c.groups = groups; c.widthPerGroup = width
            return c
        }
    }

    /// The entry called `name`, or an error listing the known names.
    public static func named(_ name: String) throws -> BackboneEntry {
        guard let e = entries.first(where: { $0.name == name }) else {
            throw BackboneError("unknown backbone '\(name)' (known: \(entries.map(\.name).joined(separator: ", ")))")
        }
        return e
    }

    /// Builds a named backbone with `--arg` options and plugins:
    /// `num_classes`, `zero_init_residual`, `groups`, `width_per_group`,
    /// `base_channels` (mmdetection's: stem and stage widths, 64 = torchvision),
    /// `replace_stride_with_dilation` (e.g. `0,0,1`), `norm_layer` (BatchNorm2d | FrozenBatchNorm2d),
    /// `features_only`, `frozen_stages` (−1…4), `trainable_layers` (0…5), `norm_eval`.
    public static func build(_ name: String, arguments: ModuleArguments? = nil, plugins: [AttentionPlugin] = []) throws -> ResNet {
        let entry = try named(name)
        var c = entry.config
        let a = arguments ?? ModuleArguments(module: name)
        do {
            c.numClasses = try a.int("num_classes", c.numClasses)
            c.zeroInitResidual = try a.bool("zero_init_residual", c.zeroInitResidual)
            c.groups = try a.int("groups", c.groups)
            c.widthPerGroup = try a.int("width_per_group", c.widthPerGroup)
            c.baseChannels = try a.int("base_channels", c.baseChannels)
            let dil = try a.ints("replace_stride_with_dilation", c.replaceStrideWithDilation.map { $0 ? 1 : 0 })
            c.replaceStrideWithDilation = dil.map { $0 != 0 }
            c.norm = NormLayer(rawValue: try a.choice("norm_layer", c.norm.rawValue, NormLayer.allCases.map(\.rawValue)))!
            c.includeHead = !(try a.bool("features_only", !c.includeHead))
            let frozen = try a.int("frozen_stages", -1)
            let trainable = try a.optionalInt("trainable_layers", nil)
            let normEval = try a.bool("norm_eval", false)
            try a.finish()
            guard (-1...4).contains(frozen) else { throw BackboneError("argument frozen_stages=\(frozen) of \(name) must be within −1…4") }
            guard (1...1 << 14).contains(c.numClasses) || !c.includeHead else {
                throw BackboneError("argument num_classes=\(c.numClasses) of \(name) must be within 1…16384")
            }
            guard (1...256).contains(c.groups), (1...1024).contains(c.widthPerGroup) else {
                throw BackboneError("arguments groups=\(c.groups) / width_per_group=\(c.widthPerGroup) of \(name) must be within 1…256 / 1…1024")
            }
            guard (4...1024).contains(c.baseChannels) else {
                throw BackboneError("argument base_channels=\(c.baseChannels) of \(name) must be within 4…1024")
            }
            guard c.baseChannels == 64 || [.basic, .bottleneck].contains(c.block) else {
                throw BackboneError("argument base_channels=\(c.baseChannels) of \(name): only torchvision's BasicBlock/Bottleneck networks take it")
            }
            c.plugins = plugins
            let net = try ResNet.build(c)
            if frozen >= 0 { net.freezeStages(frozen) }
            if let trainable { try net.setTrainableLayers(trainable) }
            net.normEval = normEval
            return net
        } catch let e as ModuleArgumentError {
            throw BackboneError(e.description)
        }
    }
}
