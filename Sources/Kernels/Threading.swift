import Foundation

/// Work splitting over the machine's cores for our own loops (GEMM threads belong to OpenBLAS).
public enum Threading {
    /// Number of worker threads our loops use: the active processor count, or `AZOO_NUM_THREADS`
    /// when it is set to a positive integer (per-core measurements, e.g. `AZOO_NUM_THREADS=1`).
    public static let workerCount: Int = {
        if let text = ProcessInfo.processInfo.environment["AZOO_NUM_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Spinning workers for the regions (`AZOO_SPIN_POOL=0` turns them off: GCD for every region).
    static let pool: SpinPool? = {
        guard workerCount > 1 else { return nil }
        if let text = ProcessInfo.processInfo.environment["AZOO_SPIN_POOL"], text == "0" { return nil }
        return SpinPool(threads: workerCount - 1)
    }()

    /// Splits `[0, count)` into at most `workerCount` contiguous chunks of at least `minChunk`
    /// items and runs `body` on each, in parallel when there is more than one chunk.
    public static func parallelFor(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(workerCount, max(1, count / max(1, minChunk)))
        if chunks <= 1 { body(0..<count); return }
        let per = (count + chunks - 1) / chunks
        if let pool = Threading.pool, pool.run(chunks: chunks, { i in
            let lo = i * per, hi = min(count, lo + per)
            if lo < hi { body(lo..<hi) }
        }) { return }
        withoutActuallyEscaping(body) { escaping in
            let work = UncheckedSendable(escaping)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let lo = i * per
                let hi = min(count, lo + per)
                if lo < hi { work.value(lo..<hi) }
            }
        }
    }
}

/// Carries a value into a `@Sendable` closure where the caller guarantees that the parallel
/// uses touch disjoint memory (each chunk writes its own range).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
