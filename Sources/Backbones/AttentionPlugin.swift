import Attention
import NN
import TensorCore

/// Where in a residual block an attention plugin sits (mmdetection's ResNet plugin positions).
public enum SlotPosition: String, CaseIterable, Sendable {
    /// After conv1 → bn1 → relu.
    case afterConv1 = "after_conv1"
    /// After conv2 → bn2 → relu.
    case afterConv2 = "after_conv2"
    /// After conv3 → bn3 (BasicBlock: after bn2), before the residual add: the SE/CBAM papers' place.
    case afterConv3 = "after_conv3"
    /// After the residual add and the final ReLU.
    case afterBlock = "after_block"
}

/// One attention plugin: a zoo module by registry key with its seed arguments, at chosen stages
/// (1–4 = layer1…layer4) and one position of every block there.
///
/// Spec syntax (library and CLI): `KEY[:stages=2,3,4][:position=after_conv3][:NAME=VALUE...]`,
/// defaults all four stages and `after_conv3`, e.g. `cbam-block:reduction=8`,
/// `eca:stages=3,4:position=after_block:kernel_size=5`.
public struct AttentionPlugin: Sendable, Equatable, CustomStringConvertible {
    public let kind: AttentionKind
    public let stages: [Int]
    public let position: SlotPosition
    /// Seed argument names → values, passed to the module's factory with the channel count.
    public let arguments: [String: String]

    public init(_ kind: AttentionKind, stages: [Int] = [1, 2, 3, 4], position: SlotPosition = .afterConv3,
                arguments: [String: String] = [:]) throws {
        guard !stages.isEmpty, stages.allSatisfy({ (1...4).contains($0) }) else {
            throw BackboneError("plugin \(kind.rawValue): stages \(stages.map(String.init).joined(separator: ",")) must be within 1–4")
        }
        guard Set(stages).count == stages.count else {
            throw BackboneError("plugin \(kind.rawValue): stage listed twice in \(stages.map(String.init).joined(separator: ","))")
        }
        if case .refused(let why) = kind.channelFit {
            throw BackboneError("plugin \(kind.rawValue) cannot sit in a channel-preserving attention slot: \(why)")
        }
        self.kind = kind
        self.stages = stages.sorted()
        self.position = position
        self.arguments = arguments
    }

    /// Parses the spec syntax; errors name the spec and the bad part.
    public init(spec: String) throws {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let key = parts.first, !key.isEmpty else { throw BackboneError("plugin spec '\(spec)' has no module key") }
        let kind: AttentionKind
        do { kind = try AttentionKind.named(key) } catch { throw BackboneError("plugin spec '\(spec)': \(error)") }
        var stages = [1, 2, 3, 4], position = SlotPosition.afterConv3, args: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "="), eq != part.startIndex else {
                throw BackboneError("plugin spec '\(spec)': '\(part)' is not NAME=VALUE")
            }
            let name = String(part[..<eq]), value = String(part[part.index(after: eq)...])
            switch name {
            case "stages":
                let items = value.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !items.isEmpty, items.allSatisfy({ $0 != nil }) else {
                    throw BackboneError("plugin spec '\(spec)': stages '\(value)' is not a list of stage numbers 1–4")
                }
                stages = items.map { $0! }
            case "position":
                guard let p = SlotPosition(rawValue: value) else {
                    throw BackboneError("plugin spec '\(spec)': unknown position '\(value)' (known: \(SlotPosition.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                position = p
            default:
                guard args[name] == nil else { throw BackboneError("plugin spec '\(spec)': argument \(name) is given twice") }
                args[name] = value
            }
        }
        try self.init(kind, stages: stages, position: position, arguments: args)
    }

    public var description: String {
        var s = kind.rawValue
        if stages != [1, 2, 3, 4] { s += ":stages=" + stages.map(String.init).joined(separator: ",") }
        if position != .afterConv3 { s += ":position=" + position.rawValue }
        for (k, v) in arguments.sorted(by: { $0.key < $1.key }) { s += ":\(k)=\(v)" }
        return s
    }

    /// Builds the module for a `channels`-wide position; errors name the plugin and where it sits.
    func make(channels: Int, at place: String) throws -> Module {
        do { return try kind.makeForChannels(channels, arguments: arguments).module } catch {
            throw BackboneError("plugin \(description) does not fit \(place) (\(channels) channels): \(error)")
        }
    }
}

/// The plugins of one block, registered under their position's name (`after_conv3`; a second
/// plugin at the same position gets `after_conv3_1`, …) or under a fixed name given by a named
/// backbone (`se`, `cbam`), so their keys read e.g. `layer3.2.after_conv3.fc.0.weight`.
public struct BlockPlugins {
    /// (state-dict name, module), in plugin order.
    public let named: [(String, Module)]
    let positions: [SlotPosition]

    public static var none: BlockPlugins { BlockPlugins(named: [], positions: []) }

    init(named: [(String, Module)], positions: [SlotPosition]) {
        self.named = named
        self.positions = positions
    }

    /// The plugins for a block of `stage`; `channels(position)` is the channel count there.
    public static func make(_ plugins: [AttentionPlugin], stage: Int, block: String,
                            channels: (SlotPosition) -> Int) throws -> BlockPlugins {
        var named: [(String, Module)] = [], positions: [SlotPosition] = []
        for p in plugins where p.stages.contains(stage) {
            let count = positions.filter { $0 == p.position }.count
            let name = count == 0 ? p.position.rawValue : "\(p.position.rawValue)_\(count)"
            named.append((name, try p.make(channels: channels(p.position), at: "\(block).\(name)")))
            positions.append(p.position)
        }
        return BlockPlugins(named: named, positions: positions)
    }

    /// One module under a fixed name at one position (senet.pytorch's `se`, per-block `cbam`).
    public static func fixed(_ name: String, _ module: Module, at position: SlotPosition) -> BlockPlugins {
        BlockPlugins(named: [(name, module)], positions: [position])
    }

    /// Whether a plugin sits at `position`.
    func has(_ position: SlotPosition) -> Bool { positions.contains(position) }

    /// Applies the plugins at `position` in order.
    func apply(_ position: SlotPosition, _ x: Tensor) -> Tensor {
        var y = x
        for (i, p) in positions.enumerated() where p == position { y = named[i].1(y) }
        return y
    }
}

/// A backbone that cannot be built or run as asked: one line naming the problem.
public struct BackboneError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
