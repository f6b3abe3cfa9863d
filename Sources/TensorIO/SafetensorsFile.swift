import Foundation

/// A safetensors file: ordered named arrays plus string metadata.
///
/// Layout: 8-byte little-endian header length, JSON header (`__metadata__` string map; per
/// tensor `dtype`, `shape`, `data_offsets` [begin, end) into the data that follows), data.
/// Reading validates everything and never trusts a length before checking it against the
/// bytes present.
public struct SafetensorsFile: Sendable {
    public var entries: [(name: String, array: HostArray)]
    public var metadata: [String: String]

    public init(entries: [(name: String, array: HostArray)] = [], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    public subscript(name: String) -> HostArray? { entries.first { $0.name == name }?.array }

    public var names: [String] { entries.map(\.name) }

    /// Reads and validates `url`; errors name the file.
    public static func read(from url: URL) throws -> SafetensorsFile {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw TensorIOError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        return try data.withUnsafeBytes { try parse(UnsafeRawBufferPointer($0), source: url.path) }
    }

    public static func parse(_ data: [UInt8], source: String) throws -> SafetensorsFile {
        try data.withUnsafeBytes { try parse($0, source: source) }
    }

    static let maxHeader = 100_000_000

    public static func parse(_ raw: UnsafeRawBufferPointer, source: String) throws -> SafetensorsFile {
        func fail(_ why: String) -> TensorIOError { TensorIOError("\(source): \(why)") }
        guard raw.count >= 8 else { throw fail("truncated: \(raw.count) bytes, no header length") }
        let headerLength = raw.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(maxHeader) else { throw fail("header length \(headerLength) is too large") }
        let hl = Int(headerLength)
        guard hl >= 2, 8 + hl <= raw.count else { throw fail("header length \(hl) exceeds the file size \(raw.count)") }
        let headerBytes = Data(raw[8..<(8 + hl)])
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: headerBytes) } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = object as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataStart = 8 + hl, dataCount = raw.count - dataStart
        var metadata: [String: String] = [:]
        var found: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__ entry '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            guard let dt = info["dtype"] as? String else { throw fail("entry '\(name)' has no dtype") }
            guard let dtype = DType(rawValue: dt) else { throw fail("entry '\(name)' has unsupported dtype \(dt)") }
            guard let shapeAny = info["shape"] as? [Any] else { throw fail("entry '\(name)' has no shape") }
            let shape = try shapeAny.map { v -> Int in
                guard let i = exactInt(v), i >= 0 else { throw fail("entry '\(name)' has an invalid shape \(shapeAny)") }
                return i
            }
            guard let offs = info["data_offsets"] as? [Any], offs.count == 2,
                  let b = exactInt(offs[0]), let e = exactInt(offs[1]) else {
                throw fail("entry '\(name)' has invalid data_offsets")
            }
            guard b >= 0, b <= e, e <= dataCount else {
                throw fail("entry '\(name)' has data_offsets [\(b), \(e)] outside the \(dataCount) data bytes")
            }
            guard let n = checkedCount(shape), let size = checkedMultiply(n, dtype.size), size == e - b else {
                throw fail("entry '\(name)' of dtype \(dt) and shape \(shape) does not match its \(e - b) bytes")
            }
            found.append((name, dtype, shape, b, e))
        }
        found.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        for f in found {
            guard f.begin == cursor else {
                throw fail(f.begin < cursor ? "entry '\(f.name)' overlaps the previous entry" : "gap in the data before entry '\(f.name)'")
            }
            cursor = f.end
        }
        guard cursor == dataCount else { throw fail("\(dataCount - cursor) trailing bytes after the last entry") }
        let entries = try found.map { f in
            (name: f.name, array: try HostArray(dtype: f.dtype, shape: f.shape,
                                                 bytes: Array(raw[(dataStart + f.begin)..<(dataStart + f.end)])))
        }
        return SafetensorsFile(entries: entries, metadata: metadata)
    }

    /// The file's bytes: entries in the given order, header padded with spaces to 8 bytes.
    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            header[e.name] = ["dtype": e.array.dtype.rawValue, "shape": e.array.shape,
                              "data_offsets": [offset, offset + e.array.bytes.count]]
            offset += e.array.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])).map { [UInt8]($0) } ?? Array("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for e in entries { out.append(contentsOf: e.array.bytes) }
        return out
    }

    public func write(to url: URL) throws {
        for (i, e) in entries.enumerated() where entries[..<i].contains(where: { $0.name == e.name }) {
            throw TensorIOError("\(url.path): duplicate entry '\(e.name)'")
        }
        do { try Data(serialized()).write(to: url) } catch {
            throw TensorIOError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}

/// An integral JSON number as Int (rejects fractions, booleans and non-numbers).
func exactInt(_ v: Any) -> Int? {
    guard let n = v as? NSNumber else { return nil }
    // JSON booleans arrive as NSNumber of objCType "c"; fractions as "d"/"f".
    switch String(cString: n.objCType) {
    case "i", "l", "q", "s", "I", "L", "Q", "S": return n.intValue
    default: return nil
    }
}
