import Foundation

/// NumPy `.npy` files (versions 1.0–3.0). Reads C- and Fortran-ordered arrays (numpy writes
/// `fortran_order: True` for any F-contiguous array, e.g. `a.T` or `a[:, [1, 0, 3, 2]]`) in
/// either byte order, and returns them row-major and little-endian; writes C order, little-endian.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    public static func read(from url: URL) throws -> HostArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TensorIOError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        return try parse([UInt8](data), source: url.path)
    }

    public static func parse(_ data: [UInt8], source: String) throws -> HostArray {
        func fail(_ why: String) -> TensorIOError { TensorIOError("\(source): \(why)") }
        guard data.count >= 10, Array(data[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
        let major = data[6]
        let headerLength: Int, start: Int
        switch major {
        case 1: headerLength = Int(data[8]) | Int(data[9]) << 8; start = 10
        case 2, 3:
            guard data.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24; start = 12
        default: throw fail("unsupported .npy version \(major)")
        }
        guard start + headerLength <= data.count else { throw fail("header length \(headerLength) exceeds the file size \(data.count)") }
        guard let header = String(bytes: data[start..<(start + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        let dict = try parseHeader(header, fail: fail)
        guard let descr = dict["descr"] else { throw fail("header has no 'descr'") }
        guard let fortranText = dict["fortran_order"] else { throw fail("header has no 'fortran_order'") }
        guard fortranText == "False" || fortranText == "True" else { throw fail("fortran_order must be True or False, got \(fortranText)") }
        guard let shapeText = dict["shape"] else { throw fail("header has no 'shape'") }
        guard let type = dataType(descr) else { throw fail("unsupported dtype \(descr)") }
        let (dtype, bigEndian) = type
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        let parts = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for p in parts {
            guard let d = Int(p), d >= 0 else { throw fail("invalid shape \(shapeText)") }
            shape.append(d)
        }
        guard let n = checkedCount(shape), let size = checkedMultiply(n, dtype.size) else { throw fail("shape \(shapeText) is too large") }
        let body = start + headerLength
        guard data.count - body == size else {
            throw fail(data.count - body < size ? "truncated data: \(data.count - body) of \(size) bytes" : "\(data.count - body - size) trailing bytes")
        }
        var bytes = Array(data[body...])
        if bigEndian { swapBytes(&bytes, elementSize: dtype.size) }
        if fortranText == "True" { bytes = cOrder(fromFortran: bytes, shape: shape, elementSize: dtype.size) }
        return try HostArray(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// The element type and byte order of a `descr` such as `<f4`, `>i8`, `|u1`
    /// (`=` is the writing machine's order, which numpy only writes for little-endian hosts).
    static func dataType(_ descr: String) -> (DType, bigEndian: Bool)? {
        guard let order = descr.first, "<>|=".contains(order) else { return nil }
        let dtype: DType
        switch descr.dropFirst() {
        case "f4": dtype = .float32
        case "f8": dtype = .float64
        case "f2": dtype = .float16
        case "i8": dtype = .int64
        case "i4": dtype = .int32
        case "u1": dtype = .uint8
        case "b1": dtype = .bool
        default: return nil
        }
        return (dtype, order == ">" && dtype.size > 1)
    }

    /// Reverses the bytes of every `elementSize`-byte element (big-endian → little-endian).
    static func swapBytes(_ bytes: inout [UInt8], elementSize: Int) {
        bytes.withUnsafeMutableBufferPointer { b in
            var i = 0
            while i < b.count {
                var lo = i, hi = i + elementSize - 1
                while lo < hi { b.swapAt(lo, hi); lo += 1; hi -= 1 }
                i += elementSize
            }
        }
    }

    /// The elements of a column-major (Fortran-ordered) array of `shape`, rearranged to row-major.
    static func cOrder(fromFortran bytes: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
        guard shape.count > 1, !bytes.isEmpty else { return bytes }
        var strides = [Int](repeating: elementSize, count: shape.count)   // column-major, in bytes
        for d in 1..<shape.count { strides[d] = strides[d - 1] * shape[d - 1] }
        var out = [UInt8](repeating: 0, count: bytes.count)
        var index = [Int](repeating: 0, count: shape.count), source = 0
        var target = 0
        while target < out.count {
            for k in 0..<elementSize { out[target + k] = bytes[source + k] }
            target += elementSize
            // Advance the row-major multi-index (last axis fastest), keeping the source offset.
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                source += strides[d]
                if index[d] < shape[d] { break }
                source -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Parses numpy's header dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    static func parseHeader(_ text: String, fail: (String) -> TensorIOError) throws -> [String: String] {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("{"), t.hasSuffix("}") else { throw fail("header is not a dict") }
        var result: [String: String] = [:]
        var chars = Array(t.dropFirst().dropLast())
        var i = 0
        func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "," || chars[i] == "\n" { i += 1 } }
        while true {
            skipSpace()
            if i >= chars.count { break }
            guard chars[i] == "'" || chars[i] == "\"" else { throw fail("malformed header key") }
            let q = chars[i]; i += 1
            let ks = i
            while i < chars.count, chars[i] != q { i += 1 }
            guard i < chars.count else { throw fail("unterminated header key") }
            let key = String(chars[ks..<i]); i += 1
            while i < chars.count, chars[i] == " " { i += 1 }
            guard i < chars.count, chars[i] == ":" else { throw fail("malformed header near '\(key)'") }
            i += 1
            while i < chars.count, chars[i] == " " { i += 1 }
            guard i < chars.count else { throw fail("missing value for '\(key)'") }
            let vs = i
            if chars[i] == "'" || chars[i] == "\"" {
                let vq = chars[i]; i += 1
                while i < chars.count, chars[i] != vq { i += 1 }
                guard i < chars.count else { throw fail("unterminated value for '\(key)'") }
                result[key] = String(chars[(vs + 1)..<i]); i += 1
            } else if chars[i] == "(" {
                while i < chars.count, chars[i] != ")" { i += 1 }
                guard i < chars.count else { throw fail("unterminated shape") }
                i += 1
                result[key] = String(chars[vs..<i])
            } else {
                while i < chars.count, chars[i] != "," { i += 1 }
                result[key] = String(chars[vs..<i]).trimmingCharacters(in: .whitespaces)
            }
        }
        chars.removeAll()
        return result
    }

    /// The .npy bytes (version 1.0, header padded to a multiple of 64 like numpy).
    public static func serialize(_ array: HostArray) -> [UInt8] {
        let descr: String
        switch array.dtype {
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        case .float16: descr = "<f2"
        case .int64: descr = "<i8"
        case .int32: descr = "<i4"
        case .uint8: descr = "|u1"
        case .bool: descr = "|b1"
        case .bfloat16: return serialize(HostArray(float32: array.asFloat32(), shape: array.shape))
        }
        let shape = array.shape.count == 1 ? "(\(array.shape[0]),)" : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        out += array.bytes
        return out
    }

    public static func write(_ array: HostArray, to url: URL) throws {
        do { try Data(serialize(array)).write(to: url) } catch {
            throw TensorIOError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
