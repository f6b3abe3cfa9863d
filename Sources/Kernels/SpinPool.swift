import Foundation
import Synchronization

/// Persistent worker threads for `Threading.parallelFor`: after a job each worker spins for a short
/// while (`spinWindow`) watching for the next one before it sleeps on a condition variable, so the
/// back-to-back parallel regions of a forward pass (a pooling, a GEMM, a gating multiply of a few
/// hundred microseconds each) do not each pay a thread wake-up, as OpenMP's spinning workers do not.
///
/// One job at a time: a call that finds the pool busy (a nested region, or another thread's region)
/// returns false and the caller uses GCD instead.
final class SpinPool: @unchecked Sendable {
    /// The job's generation (upper 32 bits) and the next unclaimed chunk (lower 32 bits): a worker
    /// claims chunk i of generation g by one compare-exchange, so a late worker can never run a
    /// chunk of a job that has already finished.
    private let ticket = Atomic<UInt64>(0)
    private let chunkCount = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The current job (written before its ticket is published, read only after a chunk is claimed).
    private var job: ((Int) -> Void)?
    private let sleepLock = NSCondition()
    private var sleepers = 0
    static let spinWindowNanoseconds: UInt64 = 200_000

    init(threads: Int) {
        for _ in 0..<threads {
            let t = Thread { [unowned self] in self.workerLoop() }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Runs `body(i)` for every i in 0..<chunks on the caller and the workers; false (nothing run)
    /// when the pool is busy.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            chunkCount.store(chunks, ordering: .relaxed)
            remaining.store(chunks, ordering: .relaxed)
            let generation = (ticket.load(ordering: .relaxed) >> 32) &+ 1
            ticket.store(generation << 32, ordering: .releasing)
            sleepLock.lock()
            if sleepers > 0 { sleepLock.broadcast() }
            sleepLock.unlock()
            claimChunks(of: generation)
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 4096 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs chunks of `generation` until none are left.
    private func claimChunks(of generation: UInt64) {
        while true {
            let t = ticket.load(ordering: .acquiring)
            guard t >> 32 == generation else { return }
            let index = Int(t & 0xffff_ffff)
            guard index < chunkCount.load(ordering: .relaxed) else { return }
            guard ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            job?(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            var generation = ticket.load(ordering: .acquiring) >> 32
            if generation == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while generation == seen {
                    spins += 1
                    if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds - start > SpinPool.spinWindowNanoseconds { break }
                    generation = ticket.load(ordering: .acquiring) >> 32
                }
            }
            if generation == seen {
                sleepLock.lock()
                sleepers += 1
                while ticket.load(ordering: .acquiring) >> 32 == seen { sleepLock.wait() }
                sleepers -= 1
                sleepLock.unlock()
                generation = ticket.load(ordering: .acquiring) >> 32
            }
            seen = generation
            claimChunks(of: generation)
        }
    }
}
