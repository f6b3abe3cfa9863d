import Kernels
import Synchronization

#if os(Linux)
/// glibc's `mallopt` (not exported by the Glibc module).
@_silgen_name("mallopt") private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
private let M_TRIM_THRESHOLD: Int32 = -1, M_MMAP_THRESHOLD: Int32 = -3
#endif

/// Reference-counted, contiguous Float32 memory behind one or more `Tensor` values.
///
/// Memory is allocated uninitialised; every op writes each element of its result.
/// On glibc the allocator is told (once) to serve blocks up to 32 MiB from the heap and to
/// keep freed memory: activations are allocated and freed at a high rate, and fresh `mmap`
/// pages for each would cost a page fault per 4 KiB (this was the largest cost of a
/// forward+backward pass of the zoo's small modules).
public final class TensorStorage: @unchecked Sendable {
    private static let allocatorConfigured: Bool = {
        #if os(Linux)
        _ = glibcMallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = glibcMallopt(M_TRIM_THRESHOLD, 512 << 20)
        #endif
        return true
    }()

    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` uninitialised elements.
    public init(uninitializedCount count: Int) {
        _ = TensorStorage.allocatorConfigured
        MemoryCeiling.reserve(floats: count)
        self.count = count
        self.pointer = LargeBlocks.take(count) ?? UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
    }

    /// Allocates `count` elements set to `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// Copies `values`.
    public convenience init(_ values: [Float]) {
        self.init(uninitializedCount: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }

    deinit {
        MemoryCeiling.release(floats: count)
        if !LargeBlocks.keep(pointer, count) { pointer.deallocate() }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}
