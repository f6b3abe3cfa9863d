import Attention
import NN
import TensorCore

/// A ResNet-style network (catalogue C1–C5): stem, four stages `layer1`…`layer4` of residual
/// blocks, global average pool and a linear classifier — torchvision's `ResNet` and the
/// seeds' variants, built by `BackboneKind` from a `ResNetConfig`.
/// ```
/// stem:  conv1 → bn1 → relu [→ ca → sa] → maxpool                 (stride 4)
/// C2…C5 = layer1…layer4                                            (strides 4, 8, 16, 32)
/// head:  [ca1 → sa1 →] avgpool → flatten → fc
/// ```
/// Shapes: (N, 3, H, W) → (N, num_classes); `features(_:)` returns C2…C5.
/// Keys: torchvision's (`conv1.weight`, `bn1.*`, `layerN.M.*`, `fc.*`); timm's for the deep stem
/// (`conv1.0.weight` … `conv1.6.weight`); seed 000's `ca.*`, `sa.*`, `ca1.*`, `sa1.*` for CBAM
/// outside the blocks. Without a head (`features_only`), `fc.*` is absent, as in torchvision's
/// detection body (`IntermediateLayerGetter`).
public final class ResNet: Module, @unchecked Sendable {
    public let conv1: Module
    public let bn1: Module
    public let ca: CBAM.ChannelAttention?
    public let sa: CBAM.SpatialAttention?
    public let maxpool: MaxPool2d?
    public let layer1: Sequential
    public let layer2: Sequential
    public let layer3: Sequential
    public let layer4: Sequential
    public let ca1: CBAM.ChannelAttention?
    public let sa1: CBAM.SpatialAttention?
    public let avgpool = AdaptiveAvgPool2d(outputSize: (1, 1))
    public let fc: Linear?
    /// How it was built.
    public let config: ResNetConfig
    /// Channels of C2…C5.
    public let stageChannels: [Int]
    /// Overall stride of C2…C5.
    public let stageStrides: [Int]

    /// mmdetection's `frozen_stages`: −1 none; 0 the stem; k the stem and layer1…layerk (no
    /// gradients, and kept in eval mode by `train()`).
    public private(set) var frozenStages = -1
    /// mmdetection's `norm_eval`: every BatchNorm stays in eval mode while the model trains.
    public var normEval = false { didSet { train(training) } }

    init(config: ResNetConfig, conv1: Module, bn1: Module, maxpool: MaxPool2d?, layers: [Sequential],
         stageChannels: [Int], stageStrides: [Int]) {
        self.config = config
        self.conv1 = conv1
        self.bn1 = bn1
        let stem = config.cbamOutsideBlocks ? stageChannelsOfStem(conv1) : 0
        ca = config.cbamOutsideBlocks ? CBAM.ChannelAttention(inPlanes: stem) : nil
        sa = config.cbamOutsideBlocks ? CBAM.SpatialAttention() : nil
        self.maxpool = maxpool
        layer1 = layers[0]; layer2 = layers[1]; layer3 = layers[2]; layer4 = layers[3]
        ca1 = config.cbamOutsideBlocks ? CBAM.ChannelAttention(inPlanes: stageChannels[3]) : nil
        sa1 = config.cbamOutsideBlocks ? CBAM.SpatialAttention() : nil
        fc = config.includeHead ? Linear(inFeatures: stageChannels[3], outFeatures: config.numClasses) : nil
        self.stageChannels = stageChannels
        self.stageStrides = stageStrides
        super.init()
    }

    public var stages: [Sequential] { [layer1, layer2, layer3, layer4] }

    /// The stem's output (stride 4 with the max pool).
    public func stem(_ x: Tensor) -> Tensor {
        checkInput(x)
        var y = (conv1 as? Conv2d).flatMap { fusedConvNorm($0, bn1, x, relu: true) } ?? normReLU(bn1, conv1(x))
        if let ca, let sa { y = y.channelGated(ca(y)); y = sa(y) * y }
        if let maxpool { y = maxpool(y) }
        return y
    }

    /// C2…C5: the four stage outputs (`features_only`).
    public func features(_ x: Tensor) -> [Tensor] {
        var y = stem(x)
        var out: [Tensor] = []
        for stage in stages { y = stage(y); out.append(y) }
        return out
    }

    public override func forward(_ x: Tensor) -> Tensor { classify(stages.reduce(stem(x)) { $1($0) }) }

    /// The head on C5: [ca1 → sa1 →] avgpool → flatten → fc (C5 itself without a head).
    public func classify(_ c5: Tensor) -> Tensor {
        guard let fc else { return c5 }
        var y = c5
        if let ca1, let sa1 { y = y.channelGated(ca1(y)); y = sa1(y) * y }
        return fc(avgpool(y).flattened(startDim: 1))
    }

    /// Traps with a readable message when `x` cannot go through (wrong channels, too small).
    func checkInput(_ x: Tensor) {
        if let why = inputMismatch(x.shape) { ShapeCheck.fail("\(config.name): \(why)") }
    }

    /// Why an input of `shape` does not fit, or nil.
    public func inputMismatch(_ shape: [Int]) -> String? {
        guard shape.count == 4 else { return "input \(shape) is not (N, 3, H, W)" }
        guard shape[1] == 3 else { return "input \(shape) has \(shape[1]) channels, the stem takes 3" }
        let s = stageStrides[3]
        guard shape[2] >= s, shape[3] >= s else {
            return "input \(shape) is smaller than the network's total stride \(s) (at least \(s)×\(s) is needed)"
        }
        guard shape[0] > 0 else { return "input \(shape) has an empty batch" }
        return nil
    }

    // MARK: Freezing

    /// Freezes the stem and layer1…layer`stages` (mmdetection's `frozen_stages`; −1 none).
    public func freezeStages(_ stages: Int) {
        frozenStages = stages
        for (i, part) in stemAndStages.enumerated() {
            let frozen = i <= stages
            for p in part.flatMap(\.parameters) { p.requiresGrad = !frozen }
        }
        train(training)
    }

    /// torchvision's `trainable_layers` (0…5): only the last `n` of layer4, layer3, layer2,
    /// layer1, conv1 train (with 5, bn1 too); every other parameter is frozen.
    public func setTrainableLayers(_ n: Int) throws {
        guard (0...5).contains(n) else { throw BackboneError("trainable_layers \(n) must be within 0–5") }
        var train = Array(["layer4", "layer3", "layer2", "layer1", "conv1"].prefix(n))
        if n == 5 { train.append("bn1") }
        for (name, p) in namedParameters() {
            p.requiresGrad = train.contains { name.hasPrefix($0) }
        }
    }

    /// The stem's modules, then each stage's.
    var stemAndStages: [[Module]] {
        [[conv1, bn1] + [ca, sa].compactMap { $0 }, [layer1], [layer2], [layer3], [layer4]]
    }

    public override func train(_ mode: Bool = true) {
        super.train(mode)
        guard mode else { return }
        if frozenStages >= 0 {
            for part in stemAndStages.prefix(frozenStages + 1) { for m in part { m.eval() } }
        }
        if normEval {
            for (_, m) in namedModules() where m is BatchNormBase { m.eval() }
        }
    }
}

/// The output channels of a stem conv (a Conv2d or a deep-stem Sequential ending in one).
private func stageChannelsOfStem(_ conv1: Module) -> Int {
    if let c = conv1 as? Conv2d { return c.weight.shape[0] }
    if let s = conv1 as? Sequential, let c = s.layers.last as? Conv2d { return c.weight.shape[0] }
    return 64
}
