import Foundation
import TensorCore

/// Base class of every layer and model.
///
/// Registration is reflection: stored properties of type `Parameter`, `Buffer`, `Module`
/// (optionals and arrays included) are the module's parameters, buffers and children, in
/// declaration order (superclass properties first). State-dict keys are the property labels
/// in snake_case (`runningMean` → `running_mean`), arrays add `.0`, `.1`; a subclass renames
/// with `stateKeyOverrides` (an empty name inlines an array's elements as `0`, `1`, …).
open class Module: @unchecked Sendable {
    public private(set) var training = true

    public init() {}

    /// The computation; layers override it. Callers write `module(x)`.
    open func forward(_ x: Tensor) -> Tensor {
        fatalError("\(type(of: self)) does not implement forward(_:)")
    }

    /// Runs `forward` (the single hook point used by `ModuleSummary` and ``ForwardObserver``).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let recorder = ModuleSummary.recorder { return recorder.call(self, input: x) { self.forward(x) } }
        if let observer = ForwardObserver.current {
            let y = forward(x)
            observer(self, x, y)
            return y
        }
        return forward(x)
    }

    /// Property label → state-dict name, for names that snake_case does not produce.
    open class var stateKeyOverrides: [String: String] { [:] }

    /// Keys (relative to this module) that a loaded state dict may carry but the module does not
    /// hold; they are dropped on load instead of being unexpected (FrozenBatchNorm2d's
    /// `num_batches_tracked`, as torchvision's `_load_from_state_dict` hooks drop it).
    open class var ignoredStateKeys: [String] { [] }

    /// Whether the summary lists this module (containers are skipped, as torchsummary does).
    open var isContainer: Bool { false }

    /// Sets training mode here and in every submodule.
    open func train(_ mode: Bool = true) {
        training = mode
        for (_, c) in namedChildren() { c.train(mode) }
    }

    public func eval() { train(false) }

    // MARK: Reflection

    enum Member {
        case parameter(Parameter), buffer(Buffer), module(Module)
    }

    /// (state-dict name, member) of this module's own stored properties, in PyTorch order.
    func members() -> [(String, Member)] {
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let mm = m { mirrors.append(mm); m = mm.superclassMirror }
        var result: [(String, Member)] = []
        let overrides = Self.stateKeyOverrides
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard let label = child.label else { continue }
                let name = overrides[label] ?? snakeCase(label)
                let prefix = name.isEmpty ? "" : name + "."
                switch child.value {
                case let p as Parameter: result.append((name, .parameter(p)))
                case let b as Buffer: result.append((name, .buffer(b)))
                case let c as Module: result.append((name, .module(c)))
                case let ps as [Parameter]: for (i, p) in ps.enumerated() { result.append((prefix + "\(i)", .parameter(p))) }
                case let cs as [Module]: for (i, c) in cs.enumerated() { result.append((prefix + "\(i)", .module(c))) }
                case let named as [(String, Module)]: for (n, c) in named { result.append((prefix + n, .module(c))) }
                default: continue
                }
            }
        }
        return result
    }

    /// Direct submodules with their names.
    public func namedChildren() -> [(String, Module)] {
        members().compactMap { if case .module(let c) = $1 { return ($0, c) } else { return nil } }
    }

    /// Every module below (and including) this one, pre-order, dotted names ("" for self).
    public func namedModules() -> [(String, Module)] {
        var out: [(String, Module)] = [("", self)]
        for (name, child) in namedChildren() {
            out += child.namedModules().map { ($0.0.isEmpty ? name : name + "." + $0.0, $0.1) }
        }
        return out
    }

    /// Parameters with dotted names, PyTorch order, each shared parameter once.
    public func namedParameters() -> [(String, Parameter)] {
        var seen = Set<ObjectIdentifier>()
        return stateEntries().compactMap { key, member in
            if case .parameter(let p) = member, seen.insert(ObjectIdentifier(p)).inserted { return (key, p) }
            return nil
        }
    }

    /// Buffers with dotted names.
    public func namedBuffers() -> [(String, Buffer)] {
        stateEntries().compactMap { key, member in if case .buffer(let b) = member { return (key, b) } else { return nil } }
    }

    public var parameters: [Parameter] { namedParameters().map(\.1) }

    /// Number of learnable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// State entries in PyTorch's order: own parameters, own buffers, then children.
    func stateEntries() -> [(String, Member)] {
        let own = members()
        var out: [(String, Member)] = own.filter { if case .parameter = $0.1 { return true } else { return false } }
        out += own.filter { if case .buffer = $0.1 { return true } else { return false } }
        for (name, member) in own {
            guard case .module(let child) = member else { continue }
            out += child.stateEntries().map { (name.isEmpty ? $0.0 : name + "." + $0.0, $0.1) }
        }
        return out
    }
}

/// camelCase → snake_case (`runningMean` → `running_mean`, `convH` → `conv_h`, `fc1` → `fc1`).
public func snakeCase(_ label: String) -> String {
    var out = ""
    for ch in label {
        if ch.isUppercase { if !out.isEmpty { out.append("_") }; out.append(contentsOf: ch.lowercased()) }
        else { out.append(ch) }
    }
    return out
}

/// Sees every single-input module call of this task (module, input, output), e.g. to capture an
/// attention module's gate (the experiment report's attention map):
/// `ForwardObserver.$current.withValue(ForwardObserver { module, x, y in … }) { … }`. Nil (the default): no cost.
public final class ForwardObserver: @unchecked Sendable {
    @TaskLocal public static var current: ForwardObserver?
    let body: (Module, Tensor, Tensor) -> Void
    public init(_ body: @escaping (Module, Tensor, Tensor) -> Void) { self.body = body }
    func callAsFunction(_ m: Module, _ x: Tensor, _ y: Tensor) { body(m, x, y) }
}
