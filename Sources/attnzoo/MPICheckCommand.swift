import ArgumentParser
import Distributed
import Foundation
import NN
import TensorCore

/// Bucketed gradient averaging against the definition: every rank also runs every rank's batch
/// locally and averages the gradients itself.
private func checkGradients(_ comm: MPICommunicator) throws {
    func model() -> Sequential {
        RandomGenerator.withSeed(3) {
            Sequential(Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3), ReLU(), Conv2d(inChannels: 8, outChannels: 4, kernelSize: 3),
                       Flatten(), Linear(inFeatures: 4 * 5 * 5, outFeatures: 3))
        }
    }
    func batch(_ r: Int) -> Tensor { RandomGenerator.withSeed(UInt64(100 + r)) { Tensor.randn([2, 3, 9, 9]) } }
    let net = model(), reference = model()
    let reducer = GradientAllreducer(comm: comm, parameters: net.parameters, bucketFloats: 64)
    reducer.backward(net(batch(comm.rank)).square().sum())
    for r in 0..<comm.size { reference(batch(r)).square().sum().backward() }
    for (p, q) in zip(net.parameters, reference.parameters) {
        let a = p.grad!.scalars, b = q.grad!.scalars.map { $0 / Float(comm.size) }
        let worst = zip(a, b).map { abs($0 - $1) / (1e-4 + abs($1)) }.max() ?? 0
        guard worst < 1e-4 else { comm.abort("averaged gradient differs from the local average (relative \(worst))") }
    }
    guard reducer.bucketCount > 2 else { comm.abort("expected several buckets, got \(reducer.bucketCount)") }
}

/// `attnzoo mpi-check`: checks the MPI collectives that data-parallel training uses.
struct MPICheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-check",
        abstract: "Check Open MPI under mpirun: allreduce (blocking and not), broadcast, gather across the ranks.",
        discussion: "Run as `mpirun -np N attnzoo mpi-check`; without mpirun it reports a single process. "
            + "`--die-rank R` makes rank R kill itself mid-run (to check the others do not hang).")

    @Option(help: "Floats per allreduce (also the size of the timed allreduce).") var count: Int = 1 << 20
    @Option(name: .customLong("die-rank"), help: "A rank that kills itself with SIGKILL before the collectives (test of failure handling).")
    var dieRank: Int?

    func run() throws {
        guard let comm = try MPICommunicator.fromEnvironment() else {
            print("mpi-check: single process (not started by mpirun with more than one rank)")
            return
        }
        if dieRank == comm.rank { kill(getpid(), SIGKILL) }
        let n = comm.size
        var a = [Float](repeating: Float(comm.rank + 1), count: count)
        a.withUnsafeMutableBufferPointer { comm.allreduceSum($0.baseAddress!, count: $0.count) }
        let expected = Float(n * (n + 1) / 2)
        guard a.allSatisfy({ $0 == expected }) else { comm.abort("allreduce gave \(a[0]), expected \(expected)") }
        var b = [Float](repeating: Float(comm.rank), count: count)
        b.withUnsafeMutableBufferPointer { p in comm.startAllreduceSum(p.baseAddress!, count: p.count).wait() }
        guard b.allSatisfy({ $0 == Float(n * (n - 1) / 2) }) else { comm.abort("non-blocking allreduce gave \(b[0])") }
        var c = [Float](repeating: comm.rank == 0 ? 42 : -1, count: 17)
        c.withUnsafeMutableBufferPointer { comm.broadcast($0.baseAddress!, count: $0.count) }
        guard c.allSatisfy({ $0 == 42 }) else { comm.abort("broadcast gave \(c[0])") }
        let blobs = comm.gather(bytes: Array("rank \(comm.rank)".utf8) + [UInt8](repeating: 7, count: comm.rank))
        try checkGradients(comm)
        // The time of one blocking allreduce of `count` floats (fastest of 3): what a training step's
        // gradient averaging costs before any of it is hidden behind backward.
        var best = Double.infinity
        for _ in 0..<3 {
            comm.barrier()
            let t0 = Date()
            a.withUnsafeMutableBufferPointer { comm.allreduceSum($0.baseAddress!, count: $0.count) }
            best = min(best, Date().timeIntervalSince(t0))
        }
        if comm.rank == 0 {
            print(String(format: "mpi-check: allreduce of %d floats (%.1f MB): %.1f ms", count, Double(count * 4) / 1e6, best * 1000))
            guard blobs.count == n, blobs.enumerated().allSatisfy({ $1.count == "rank \($0)".utf8.count + $0 }) else {
                comm.abort("gather gave \(blobs.map(\.count))")
            }
            print("mpi-check: \(n) ranks ok (allreduce, non-blocking allreduce, broadcast, gather, bucketed gradient averaging)")
        }
        comm.barrier()
        comm.finalize()
    }
}
