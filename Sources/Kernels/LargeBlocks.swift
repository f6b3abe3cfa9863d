import Synchronization

/// Blocks above glibc's largest heap-served size (32 MiB) come from `mmap` on every allocation and
/// return to the kernel on every free, so each use pays a page fault per 4 KiB (the weight gradient
/// of a 1024→1024 3×3 convolution is 37.7 MiB: 9,200 faults per backward pass). A few freed blocks
/// are kept (at most 8, 512 MiB in all, newest first) and handed out again for the same element count.
/// Used by `TensorStorage` and by the GEMM's packed operand (Faster R-CNN's fc6 packs 50 MB per call).
public enum LargeBlocks {
    public static let minimumCount = (32 << 20) / MemoryLayout<Float>.stride
    static let budgetBytes = 512 << 20
    static let maximumBlocks = 8

    private struct Cache { var blocks: [(count: Int, address: UInt)] = []; var bytes = 0 }
    private static let cache = Mutex(Cache())

    public static func take(_ count: Int) -> UnsafeMutablePointer<Float>? {
        guard count >= minimumCount else { return nil }
        let address: UInt? = cache.withLock { c in
            guard let i = c.blocks.lastIndex(where: { $0.count == count }) else { return nil }
            c.bytes -= count * MemoryLayout<Float>.stride
            return c.blocks.remove(at: i).address
        }
        return address.flatMap { UnsafeMutablePointer(bitPattern: $0) }
    }

    /// Keeps `pointer` for reuse when it is large and fits the budget; false when the caller frees it.
    public static func keep(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> Bool {
        guard count >= minimumCount else { return false }
        let bytes = count * MemoryLayout<Float>.stride
        var evicted: [UInt] = []
        let kept: Bool = cache.withLock { c in
            guard bytes <= budgetBytes else { return false }
            while c.bytes + bytes > budgetBytes || c.blocks.count >= maximumBlocks {
                let old = c.blocks.removeFirst()
                c.bytes -= old.count * MemoryLayout<Float>.stride
                evicted.append(old.address)
            }
            c.blocks.append((count, UInt(bitPattern: pointer)))
            c.bytes += bytes
            return true
        }
        for a in evicted { UnsafeMutablePointer<Float>(bitPattern: a)?.deallocate() }
        return kept
    }
}
