/// Constructor arguments given by the seed's Python names (`channel=512`, `G=8`,
/// `kernel_size=7`), as the CLI's `--arg NAME=VALUE` passes them.
///
/// A factory reads each argument with its default; `finish()` then rejects names nobody read,
/// so a typo is an error, not a silent default.
public final class ModuleArguments: @unchecked Sendable {
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

    public func int(_ name: String, _ defaultValue: Int) throws -> Int {
        guard let s = raw(name) else { return defaultValue }
        guard let v = Int(s) else { throw ModuleArgumentError("argument \(name) of \(module) expects an integer, got '\(s)'") }
        return v
    }

    public func optionalInt(_ name: String, _ defaultValue: Int?) throws -> Int? {
        guard let s = raw(name) else { return defaultValue }
        if s == "None" || s == "none" { return nil }
        guard let v = Int(s) else { throw ModuleArgumentError("argument \(name) of \(module) expects an integer or None, got '\(s)'") }
        return v
    }

    public func float(_ name: String, _ defaultValue: Float) throws -> Float {
        guard let s = raw(name) else { return defaultValue }
        guard let v = Float(s), v.isFinite else { throw ModuleArgumentError("argument \(name) of \(module) expects a number, got '\(s)'") }
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

    /// A comma-separated integer list (`1,2,3` or `[1,2,3]`).
    public func ints(_ name: String, _ defaultValue: [Int]) throws -> [Int] {
        guard let s = raw(name) else { return defaultValue }
        let body = s.trimmingCharacters(in: ["[", "]", "(", ")", " "])
        let parts = body.split(separator: ",").map { $0.trimmingCharacters(in: [" "]) }
        let ints = parts.compactMap { Int($0) }
        guard ints.count == parts.count, !ints.isEmpty else {
            throw ModuleArgumentError("argument \(name) of \(module) expects a list of integers, got '\(s)'")
        }
        return ints
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
