import Dispatch
import Kernels
import Synchronization
import Testing

/// Every index of every region is run exactly once, whether the region goes to the spinning pool,
/// finds it busy (another thread's region, a nested region) and falls back to GCD, or runs inline.
@Test("parallelFor covers each index once under concurrent and nested regions")
func parallelForCoverage() {
    let callers = 4, rounds = 300
    let failures = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: callers) { caller in
        for round in 0..<rounds {
            let count = 1 + (round * 7 + caller) % 97
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0, count: count)
            defer { hits.deallocate() }
            let h = UncheckedSendable(hits)
            Threading.parallelFor(count) { range in
                for i in range { h.value[i] += 1 }
                if round % 10 == 0 {
                    // A nested region inside a chunk: runs to completion before the chunk returns.
                    let inner = UnsafeMutablePointer<Int>.allocate(capacity: 8)
                    inner.initialize(repeating: 0, count: 8)
                    let n = UncheckedSendable(inner)
                    Threading.parallelFor(8) { r in for j in r { n.value[j] += 1 } }
                    if (0..<8).contains(where: { inner[$0] != 1 }) { failures.add(1, ordering: .relaxed) }
                    inner.deallocate()
                }
            }
            if (0..<count).contains(where: { hits[$0] != 1 }) { failures.add(1, ordering: .relaxed) }
        }
    }
    #expect(failures.load(ordering: .relaxed) == 0)
}
