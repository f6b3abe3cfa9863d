/// Element types of safetensors and .npy files.
public enum DType: String, Sendable, CaseIterable {
    case float32 = "F32", float64 = "F64", float16 = "F16", bfloat16 = "BF16"
    case int64 = "I64", int32 = "I32", uint8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .uint8, .bool: return 1
        }
    }
}

/// A dense array read from or written to a file: little-endian bytes, dtype and shape.
public struct HostArray: Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Number of elements (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// Wraps raw bytes, checking that they hold exactly `shape` elements of `dtype`.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard let n = checkedCount(shape), let total = checkedMultiply(n, dtype.size), total == bytes.count else {
            throw TensorIOError("array of dtype \(dtype.rawValue) and shape \(shape) cannot hold \(bytes.count) bytes")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(float32 values: [Float], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "HostArray: \(values.count) values do not fill shape \(shape)")
        self.dtype = .float32
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    public init(float64 values: [Double], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "HostArray: \(values.count) values do not fill shape \(shape)")
        self.dtype = .float64
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    public init(int64 values: [Int64], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "HostArray: \(values.count) values do not fill shape \(shape)")
        self.dtype = .int64
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    public init(bool values: [Bool], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "HostArray: \(values.count) values do not fill shape \(shape)")
        self.dtype = .bool
        self.shape = shape
        self.bytes = values.map { $0 ? 1 : 0 }
    }

    private func load<T>(_: T.Type) -> [T] {
        bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
    }

    /// The elements converted to Float (from any dtype).
    public func asFloat32() -> [Float] {
        switch dtype {
        case .float32:
            return [Float](unsafeUninitializedCapacity: count) { buf, n in
                bytes.withUnsafeBytes { raw in _ = memcpy(buf.baseAddress!, raw.baseAddress!, count * 4) }
                n = count
            }
        case .float64: return load(Double.self).map { Float($0) }
        case .float16: return load(UInt16.self).map { halfToFloat($0) }
        case .bfloat16: return load(UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        case .int64: return load(Int64.self).map { Float($0) }
        case .int32: return load(Int32.self).map { Float($0) }
        case .uint8, .bool: return bytes.map { Float($0) }
        }
    }

    /// The elements converted to Double.
    public func asFloat64() -> [Double] {
        dtype == .float64 ? load(Double.self) : asFloat32().map { Double($0) }
    }

    /// The elements converted to Int64 (floats truncate toward zero).
    public func asInt64() -> [Int64] {
        switch dtype {
        case .int64: return load(Int64.self)
        case .int32: return load(Int32.self).map { Int64($0) }
        case .uint8, .bool: return bytes.map { Int64($0) }
        case .float64: return load(Double.self).map { $0.isFinite ? Int64($0) : 0 }
        default: return asFloat32().map { $0.isFinite ? Int64($0) : 0 }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IEEE half → Float.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int((h >> 10) & 0x1F), frac = UInt32(h & 0x3FF)
    if exp == 0 {
        if frac == 0 { return Float(bitPattern: sign) }
        let v = Float(frac) * 0x1p-24
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
    return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (frac << 13))
}

/// Product of extents, nil on overflow or a negative extent.
func checkedCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = r
    }
    return n
}

func checkedMultiply(_ a: Int, _ b: Int) -> Int? {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    return o ? nil : r
}

/// A file or data error; the message names the file and the entry.
public struct TensorIOError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
