import Foundation
import TensorCore
import TensorIO

/// One state-dict entry: the key, the tensor and whether it is stored as int64.
public struct StateEntry: Sendable {
    public let key: String
    public let value: Tensor
    public let isInteger: Bool
}

/// A state dict that does not fit the module: every problem at once, naming the source file.
public struct StateDictError: Error, CustomStringConvertible {
    public let source: String
    public let missing: [String]
    public let unexpected: [String]
    public let mismatched: [(key: String, expected: [Int], found: [Int])]

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        if !mismatched.isEmpty {
            parts.append("shape mismatches: " + mismatched.map { "\($0.key) expects \($0.expected), file has \($0.found)" }.joined(separator: "; "))
        }
        return "\(source): state dict does not fit the module (\(parts.joined(separator: "; ")))"
    }
}

extension Module {
    /// The state dict in PyTorch's order (parameters and buffers, shared ones under every path).
    public func stateDict() -> [StateEntry] {
        stateEntries().map { key, member in
            switch member {
            case .parameter(let p): return StateEntry(key: key, value: p.value.detach(), isInteger: false)
            case .buffer(let b): return StateEntry(key: key, value: b.value, isInteger: b.isInteger)
            case .module: fatalError("unreachable")
            }
        }
    }

    /// The state-dict keys in order.
    public var stateKeys: [String] { stateEntries().map(\.0) }

    /// Loads `entries` into the module's tensors (in place). Strict (default): every key must
    /// be present and no other; shapes must always match. Throws one `StateDictError` listing
    /// every problem; nothing is written unless the whole dict fits.
    public func loadStateDict(_ entries: [(key: String, array: HostArray)], strict: Bool = true, source: String) throws {
        let targets = stateEntries()
        var ignored = Set<String>()
        for (name, m) in namedModules() {
            for k in type(of: m).ignoredStateKeys { ignored.insert(name.isEmpty ? k : name + "." + k) }
        }
        let entries = entries.filter { !ignored.contains($0.key) }
        var given: [String: HostArray] = [:]
        for e in entries { given[e.key] = e.array }
        let known = Set(targets.map(\.0))
        let missing = targets.map(\.0).filter { given[$0] == nil }
        let unexpected = entries.map(\.key).filter { !known.contains($0) }
        var mismatched: [(key: String, expected: [Int], found: [Int])] = []
        for (key, member) in targets {
            guard let a = given[key] else { continue }
            let expected: [Int]
            switch member {
            case .parameter(let p): expected = p.value.shape
            case .buffer(let b): expected = b.value.shape
            case .module: continue
            }
            if a.shape != expected { mismatched.append((key, expected, a.shape)) }
        }
        if !mismatched.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(source: source, missing: strict ? missing : [], unexpected: strict ? unexpected : [], mismatched: mismatched)
        }
        for (key, member) in targets {
            guard let a = given[key] else { continue }
            let values = a.asFloat32()
            let dst: Tensor
            switch member {
            case .parameter(let p): dst = p.value
            case .buffer(let b): dst = b.value
            case .module: continue
            }
            values.withUnsafeBufferPointer { src in dst.data.update(from: src.baseAddress!, count: values.count) }
        }
    }

    /// Loads a safetensors file strictly (by default); errors name the file and the keys.
    public func load(safetensors url: URL, strict: Bool = true) throws {
        let file = try SafetensorsFile.read(from: url)
        try loadStateDict(file.entries.map { (key: $0.name, array: $0.array) }, strict: strict, source: url.path)
    }

    /// The state dict as safetensors entries (`num_batches_tracked` as I64).
    public func stateDictArrays() -> [(name: String, array: HostArray)] {
        stateDict().map { e in
            (name: e.key, array: e.isInteger ? HostArray(int64: e.value.scalars.map { Int64($0) }, shape: e.value.shape)
                                             : HostArray(float32: e.value.scalars, shape: e.value.shape))
        }
    }

    /// Writes the state dict as safetensors.
    public func saveSafetensors(to url: URL) throws {
        try SafetensorsFile(entries: stateDictArrays()).write(to: url)
    }
}
