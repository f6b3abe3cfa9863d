import Foundation
import NN
import TensorCore
import TensorIO
import Testing

/// A committed safetensors fixture next to the calling test file:
/// `try Fixture("ops_conv")` reads `Fixtures/ops_conv.safetensors` beside that test.
public struct Fixture: Sendable {
    public let url: URL
    public let file: SafetensorsFile

    public init(_ name: String, filePath: String = #filePath) throws {
        url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name + ".safetensors")
        file = try SafetensorsFile.read(from: url)
    }

    /// Opens a fixture by full URL.
    public init(url: URL) throws {
        self.url = url
        file = try SafetensorsFile.read(from: url)
    }

    /// The tensor stored under `key`; throws naming the file and key when absent.
    public func tensor(_ key: String) throws -> Tensor {
        guard let a = file[key] else { throw TensorIOError("\(url.lastPathComponent): no entry '\(key)'") }
        return Tensor(a)
    }

    public func has(_ key: String) -> Bool { file[key] != nil }

    /// Raw host array (keeps integer dtypes).
    public func array(_ key: String) throws -> HostArray {
        guard let a = file[key] else { throw TensorIOError("\(url.lastPathComponent): no entry '\(key)'") }
        return a
    }

    /// Entry names starting with `prefix`, in file order.
    public func keys(prefix: String = "") -> [String] { file.names.filter { $0.hasPrefix(prefix) } }

    /// A JSON value stored in the metadata under `key`.
    public func json(_ key: String) throws -> Any {
        guard let s = file.metadata[key], let v = try? JSONSerialization.jsonObject(with: Data(s.utf8)) else {
            throw TensorIOError("\(url.lastPathComponent): no JSON metadata '\(key)'")
        }
        return v
    }

    /// All fixture files in the `Fixtures` folder beside the calling test whose names start with `prefix`.
    public static func urls(prefix: String, filePath: String = #filePath) -> [URL] {
        let dir = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".safetensors") }.sorted()
            .map { dir.appendingPathComponent($0) }
    }
}

/// Records an issue unless `actual` matches `expected` element-wise within
/// `|a − b| ≤ atol + rtol·|b|`; the message names `what`, the worst element and both values.
public func expectClose(_ actual: Tensor?, _ expected: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5,
                        _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(what): missing (expected shape \(expected.shape))", sourceLocation: sourceLocation)
        return
    }
    guard actual.shape == expected.shape else {
        Issue.record("\(what): shape \(actual.shape) differs from expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    var worst = -1, worstExcess: Float = 0, bad = 0
    let a = actual.data, b = expected.data
    for i in 0..<expected.count {
        let x = a[i], y = b[i]
        if x.isNaN && y.isNaN { continue }
        let err = abs(x - y), tol = atol + rtol * abs(y)
        if !(err <= tol) {
            bad += 1
            let excess = err.isNaN ? .infinity : err - tol
            if worst < 0 || excess > worstExcess { worst = i; worstExcess = excess }
        }
    }
    if worst >= 0 {
        Issue.record("\(what): \(bad) of \(expected.count) elements differ; worst at flat index \(worst): \(a[worst]) vs expected \(b[worst]) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

/// `expectClose` with the gradient tolerances of DESIGN.md (rtol 1e-3, atol 1e-4).
public func expectGradClose(_ actual: Tensor?, _ expected: Tensor, rtol: Float = 1e-3, atol: Float = 1e-4,
                            _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual, expected, rtol: rtol, atol: atol, what, sourceLocation: sourceLocation)
}
