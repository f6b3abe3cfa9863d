/// Constructor arguments given by the seed's Python names (`channel=512`, `G=8`,
/// `kernel_size=7`), as the CLI's `--arg NAME=VALUE` passes them.
///
/// A factory reads each argument with its default; `finish()` then rejects names nobody read,
/// so a typo is an error, not a silent default. Integers (alone, optional or in lists) must lie in
/// `0...maximumInteger` unless the factory gives its own range, so an absurd value is an error
/// naming the argument before the module allocates anything (the registry's factories then check
/// what depends on several arguments: divisibility, a hidden width of at least 1, kernel extents).
public final class ModuleArguments: @unchecked Sendable {
    /// The largest integer a constructor argument may take unless its factory says otherwise
    /// (65 536: four times the widest channel count of the zoo's references, far above any kernel).
    public static let maximumInteger = 1 << 16
    /// `1...maximumInteger`: channel counts, reductions, strides, dilations.
    public static let positive = 1...maximumInteger
    public let module: String
    private let values: [String: String]
    private var read: [String] = []

    public init(module: String, values: [String: String] = [:]) {
        self.module = module
        self.values = values
    }

    /// Parses `NAME=VALUE` strings; a malformed or repeated one throws naming it.
    public convenience init(module: String, assignments: [String]) throws {
        var values: [String: String] = [:]
        for a in assignments {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
                throw ModuleArgumentError("--arg '\(a)' is not NAME=VALUE")
            }
            let name = String(a[..<eq]), value = String(a[a.index(after: eq)...])
            guard values[name] == nil else { throw ModuleArgumentError("--arg \(name) is given twice") }
            values[name] = value
        }
        self.init(module: module, values: values)
    }

    private func raw(_ name: String) -> String? {
        if !read.contains(name) { read.append(name) }
        return values[name]
    }

    /// The names the factory read so far, in order (after a build: every argument the module takes).
    public var names: [String] { read }

    /// An integer in `range` (default `0...maximumInteger`).
    public func int(_ name: String, _ defaultValue: Int, in range: ClosedRange<Int> = 0...ModuleArguments.maximumInteger) throws -> Int {
        guard let s = raw(name) else { return defaultValue }
        guard let v = Int(s) else { throw ModuleArgumentError("argument \(name) of \(module) expects an integer, got '\(s)'") }
        return try checked(v, name, range)
    }

    /// An integer in `range` (default `0...maximumInteger`) or `None`.
    public func optionalInt(_ name: String, _ defaultValue: Int?, in range: ClosedRange<Int> = 0...ModuleArguments.maximumInteger) throws -> Int? {
        guard let s = raw(name) else { return defaultValue }
        if s == "None" || s == "none" { return nil }
        guard let v = Int(s) else { throw ModuleArgumentError("argument \(name) of \(module) expects an integer or None, got '\(s)'") }
        return try checked(v, name, range)
    }

    private func checked(_ v: Int, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard range.contains(v) else {
            throw ModuleArgumentError("argument \(name)=\(v) of \(module) must be in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A finite number in `range` (default ±maximumInteger).
    public func float(_ name: String, _ defaultValue: Float,
                      in range: ClosedRange<Float> = -Float(ModuleArguments.maximumInteger)...Float(ModuleArguments.maximumInteger)) throws -> Float {
        guard let s = raw(name) else { return defaultValue }
        guard let v = Float(s), v.isFinite else { throw ModuleArgumentError("argument \(name) of \(module) expects a number, got '\(s)'") }
        guard range.contains(v) else { throw ModuleArgumentError("argument \(name)=\(s) of \(module) must be in \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    public func bool(_ name: String, _ defaultValue: Bool) throws -> Bool {
        guard let s = raw(name) else { return defaultValue }
        switch s.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ModuleArgumentError("argument \(name) of \(module) expects True or False, got '\(s)'")
        }
    }

    /// A string restricted to `choices`.
    public func choice(_ name: String, _ defaultValue: String, _ choices: [String]) throws -> String {
        guard let s = raw(name) else { return defaultValue }
        guard choices.contains(s) else {
            throw ModuleArgumentError("argument \(name) of \(module) must be one of \(choices.joined(separator: ", ")), got '\(s)'")
        }
        return s
    }

    /// A comma-separated integer list (`1,2,3` or `[1,2,3]`), each in `range` (default `0...maximumInteger`),
    /// at most 64 long.
    public func ints(_ name: String, _ defaultValue: [Int], in range: ClosedRange<Int> = 0...ModuleArguments.maximumInteger) throws -> [Int] {
        guard let s = raw(name) else { return defaultValue }
        let body = s.trimmingCharacters(in: ["[", "]", "(", ")", " "])
        let parts = body.split(separator: ",").map { $0.trimmingCharacters(in: [" "]) }
        let ints = parts.compactMap { Int($0) }
        guard ints.count == parts.count, !ints.isEmpty, ints.count <= 64 else {
            throw ModuleArgumentError("argument \(name) of \(module) expects a list of 1 to 64 integers, got '\(s)'")
        }
        for v in ints { _ = try checked(v, name, range) }
        return ints
    }

    /// The largest kernel extent, dilation or padding a registry factory accepts (the references'
    /// largest default is CBAM's 49).
    public static let maximumKernel = 255

    /// Throws unless `value` is odd, naming the argument and why.
    public static func requireOdd(_ value: Int, _ name: String, of module: String, because reason: String) throws {
        guard value % 2 == 1 else { throw ModuleArgumentError("argument \(name)=\(value) of \(module) must be odd (\(reason))") }
    }

    /// Throws when an argument was given that the factory never read.
    public func finish() throws {
        let unknown = values.keys.filter { !read.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ModuleArgumentError("unknown argument\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) for \(module) (known: \(read.joined(separator: ", ")))")
        }
    }
}

/// A bad `--arg`: the message names the argument and the module.
public struct ModuleArgumentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
