import Foundation
import Kernels
import Synchronization

/// A Float32 row-major tensor (NCHW for activations) with optional reverse-mode autograd.
///
/// `Tensor` is a value type over shared, immutable-by-convention storage: ops never write into
/// their inputs. A result carries a `GradNode` only when an input requires a gradient and grad
/// mode is on (`withNoGrad` turns it off). Not `Equatable`; compare with `isClose(to:rtol:atol:)`.
public struct Tensor: Sendable {
    /// Extent of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The elements, contiguous in row-major order (shared between views of the same data).
    public private(set) var storage: TensorStorage
    /// The autograd node; `nil` when this tensor does not require a gradient.
    public internal(set) var node: GradNode?

    /// Wraps existing storage (no copy). `storage.count` must equal the product of `shape`.
    public init(storage: TensorStorage, shape: [Int], node: GradNode? = nil) {
        let n = shapeCount(shape)
        checkShape(n == storage.count, "Tensor: shape \(shape) has \(n) elements but storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// Copies `values` into a new tensor of `shape` (default: 1-D).
    public init(_ values: [Float], shape: [Int]? = nil, requiresGrad: Bool = false) {
        let s = shape ?? [values.count]
        checkShape(shapeCount(s) == values.count, "Tensor: \(values.count) values do not fill shape \(s)")
        self.init(storage: TensorStorage(values), shape: s)
        if requiresGrad { self = self.requiringGrad() }
    }

    /// A scalar tensor.
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// A new uninitialised tensor (every element must be written before use).
    public init(uninitializedShape shape: [Int]) {
        self.init(storage: TensorStorage(uninitializedCount: shapeCount(shape)), shape: shape)
    }

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Read-only pointer to the elements.
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    /// The elements as an array (copy).
    public var scalars: [Float] { Array(storage.buffer) }
    /// The single element of a one-element tensor.
    public var item: Float {
        checkShape(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }
    /// The extent of dimension `axis` (negative counts from the end).
    public func size(_ axis: Int) -> Int { shape[normalizeAxis(axis, rank: rank, op: "size")] }

    /// Whether gradients flow to this tensor.
    public var requiresGrad: Bool { node != nil }

    /// The accumulated gradient of a leaf tensor after `backward()`.
    public var grad: Tensor? { node?.grad }

    /// The same data, cut from the tape.
    public func detach() -> Tensor { Tensor(storage: storage, shape: shape) }

    /// The same data as a new leaf that accumulates gradients.
    public func requiringGrad() -> Tensor {
        Tensor(storage: storage, shape: shape, node: GradNode(leafShape: shape))
    }

    /// Whether no other tensor or reference shares this tensor's storage.
    mutating func ownsStorageUniquely() -> Bool { isKnownUniquelyReferenced(&storage) }

    /// A deep copy (new storage), cut from the tape.
    public func copy() -> Tensor {
        let s = TensorStorage(uninitializedCount: count)
        s.pointer.initialize(from: storage.pointer, count: count)
        return Tensor(storage: s, shape: shape)
    }

    /// Element-wise closeness with PyTorch's rule `|a − b| ≤ atol + rtol·|b|` (NaNs equal NaNs).
    public func isClose(to other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        let a = storage.pointer, b = other.storage.pointer
        for i in 0..<count {
            let x = a[i], y = b[i]
            if x.isNaN && y.isNaN { continue }
            if x == y { continue }
            if !(Swift.abs(x - y) <= atol + rtol * Swift.abs(y)) { return false }
        }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = count <= 16 ? scalars.map { "\($0)" }.joined(separator: ", ")
                                : scalars.prefix(8).map { "\($0)" }.joined(separator: ", ") + ", …"
        return "Tensor(shape: \(shape), [\(shown)]\(requiresGrad ? ", requiresGrad" : ""))"
    }
}

/// Product of the extents (1 for a scalar).
@inline(__always)
public func shapeCount(_ shape: [Int]) -> Int {
    var n = 1
    for d in shape { n *= d }
    return n
}

/// Traps with `message` when `condition` is false, in every build configuration
/// (`precondition` is compiled out under `-Ounchecked`). Messages name the op and the shapes.
@inline(__always)
public func checkShape(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { ShapeCheck.fail(message()) }
}

/// What a failed shape check does with its message. A library traps (`fatalError`); a
/// command-line front end installs, once at start-up before any tensor work, a reporter that
/// prints the message as one line and exits non-zero, so a shape the up-front checks did not
/// foresee (a too-small input deep inside a module, train-mode BatchNorm on one value per
/// channel) still reaches its user as one readable line rather than a crash trace.
public enum ShapeCheck {
    // Written once by `installReporter` before any other thread exists; read-only afterwards.
    nonisolated(unsafe) private static var reporter: (@Sendable (String) -> Never)?

    /// Installs the process's reporter. Call at most once, at start-up, before any tensor work.
    /// The same reporter answers an allocation over the memory ceiling (`MemoryCeiling`). Only the
    /// first failure is reported: a second thread failing meanwhile (the workers of one parallel
    /// region) waits for the first report to end the process, so the answer stays one line.
    public static func installReporter(_ report: @escaping @Sendable (String) -> Never) {
        let once: @Sendable (String) -> Never = { message in
            if reporting.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged { report(message) }
            while true { Thread.sleep(forTimeInterval: 1) }
        }
        reporter = once
        MemoryCeiling.installHandler(once)
    }
    private static let reporting = Atomic<Bool>(false)

    /// Reports `message` and does not return.
    public static func fail(_ message: String) -> Never {
        if let reporter { reporter(message) }
        fatalError(message)
    }
}

/// Maps a possibly negative axis into `0..<rank`, trapping with the op's name when out of range.
@inline(__always)
public func normalizeAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    checkShape(a >= 0 && a < Swift.max(rank, 1), "\(op): axis \(axis) is out of range for rank \(rank)")
    return a
}

/// Row-major strides of `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
    return strides
}
