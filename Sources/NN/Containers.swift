import TensorCore

/// Layers applied in order; keys `0.weight`, `1.bias`, … as torch.nn.Sequential.
public final class Sequential: Module, @unchecked Sendable {
    public let layers: [Module]

    public init(_ layers: [Module]) { self.layers = layers; super.init() }
    public convenience init(_ layers: Module...) { self.init(layers) }

    public override class var stateKeyOverrides: [String: String] { ["layers": ""] }
    public override var isContainer: Bool { true }

    /// The layers in order; for inference (`ConvNormFusion.allowed`) each `Conv2d, constant norm[, ReLU]`
    /// run as one convolution with an epilogue. Every other `BatchNorm, ReLU` pair (training) runs as
    /// `BatchNormBase.forwardReLU` (one op, the same numbers), unless a summary or forward observer
    /// needs to see each layer.
    public override func forward(_ x: Tensor) -> Tensor {
        let fuseConv = ConvNormFusion.allowed
        let fuseNormReLU = !ModuleSummary.isRecording && ForwardObserver.current == nil
        guard fuseConv || fuseNormReLU else { return layers.reduce(x) { $1($0) } }
        var y = x, i = 0
        while i < layers.count {
            let reluNext = i + 1 < layers.count && layers[i + 1] is ReLU
            if fuseConv, let conv = layers[i] as? Conv2d, i + 1 < layers.count {
                let relu = i + 2 < layers.count && layers[i + 2] is ReLU
                if let z = ConvNormFusion.fuse(conv, layers[i + 1], y, relu: relu) {
                    (y, i) = (z, i + (relu ? 3 : 2))
                    continue
                }
            }
            if fuseNormReLU, reluNext, let norm = layers[i] as? BatchNormBase {
                (y, i) = (norm.forwardReLU(y), i + 2)
                continue
            }
            y = layers[i](y)
            i += 1
        }
        return y
    }

    public subscript(i: Int) -> Module { layers[i] }
    public var count: Int { layers.count }
}

/// Layers applied in order under given names, as a torch.nn.Sequential filled with
/// `add_module(name, layer)` (keys `fc0.weight`, `bn0.running_mean`, …).
public final class NamedSequential: Module, @unchecked Sendable {
    public let layers: [(String, Module)]

    public init(_ layers: [(String, Module)]) { self.layers = layers; super.init() }

    public override class var stateKeyOverrides: [String: String] { ["layers": ""] }
    public override var isContainer: Bool { true }

    public override func forward(_ x: Tensor) -> Tensor { layers.reduce(x) { $1.1($0) } }
}

/// A list of submodules with keys `0`, `1`, … (torch.nn.ModuleList); no forward of its own.
public final class ModuleList: Module, @unchecked Sendable {
    public let modules: [Module]

    public init(_ modules: [Module]) { self.modules = modules; super.init() }

    public override class var stateKeyOverrides: [String: String] { ["modules": ""] }
    public override var isContainer: Bool { true }

    public subscript(i: Int) -> Module { modules[i] }
    public var count: Int { modules.count }
}

public final class Identity: Module, @unchecked Sendable {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x }
}

/// Flattens axes `startDim...endDim` (torch.nn.Flatten, default from axis 1).
public final class Flatten: Module, @unchecked Sendable {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) { self.startDim = startDim; self.endDim = endDim; super.init() }
    public override func forward(_ x: Tensor) -> Tensor { x.flattened(startDim: startDim, endDim: endDim) }
}

/// Inverted dropout with the task's seeded generator; identity in eval.
public final class Dropout: Module, @unchecked Sendable {
    public let p: Float
    public init(p: Float = 0.5) {
        precondition(p >= 0 && p <= 1, "Dropout: probability \(p) is not in [0, 1]")
        self.p = p
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.dropout(p: p, training: training) }
}
