/// Counts the multiply-accumulates of the product ops (`matmul`/`bmm`, `linear`, `conv2d`) run
/// inside `MACCounter.counting { … }` on this task: what a summary needs to count attention's
/// matrix products, which no layer module wraps (mmcv's counter, hooked to layers, misses them).
/// Task-local, so concurrent counts do not interfere; a nil check per op when not counting.
public final class MACCounter: @unchecked Sendable {
    @TaskLocal static var current: MACCounter?

    /// Multiply-accumulates counted so far.
    public private(set) var total = 0

    public init() {}

    /// Runs `body` with this counter active on the current task.
    public func counting<R>(_ body: () throws -> R) rethrows -> R {
        try MACCounter.$current.withValue(self) { try body() }
    }

    /// Adds `macs` to the active counter, if any (fused kernels outside TensorCore report theirs).
    @inline(__always) public static func record(_ macs: Int) {
        if let c = current { c.total += macs }
    }
}
