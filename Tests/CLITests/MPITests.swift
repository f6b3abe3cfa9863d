import Foundation
import TensorIO
import Testing

/// Open MPI under `mpirun` (installed by scripts/setup.sh): the collectives of data-parallel
/// training and what happens when a rank dies.
@Suite(.serialized) struct MPITests {
    /// Runs `mpirun -np N attnzoo ARGS` (as root where CI runs as root); (exit code, output, seconds).
    func mpirun(_ n: Int, _ args: [String]) throws -> (Int32, String, Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["mpirun", "-np", "\(n)", "--oversubscribe", try attnzooURL().path] + args
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let t0 = Date()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self), Date().timeIntervalSince(t0))
    }

    @Test("mpirun -np 2: allreduce, non-blocking allreduce, broadcast, gather and bucketed gradient averaging")
    func collectives() throws {
        let (rc, out, _) = try mpirun(2, ["mpi-check"])
        #expect(rc == 0 && out.contains("mpi-check: 2 ranks ok"), "\(out)")
    }

    @Test("a rank killed with SIGKILL ends the job within seconds instead of hanging")
    func deadRank() throws {
        let (rc, out, seconds) = try mpirun(2, ["mpi-check", "--die-rank", "1"])
        #expect(rc != 0, "\(out)")
        #expect(seconds < 30, "took \(seconds) s")
        #expect(out.contains("rank 1") && out.contains("signal 9"), "\(out)")
    }

    @Test("train on 2 ranks = train on 1 process at the same global batch (3 iterations, final weights)")
    func equivalence() throws {
        let data = try trainData()
        let one = tempURL("one").path, two = tempURL("two").path
        defer { for p in [data, one, two] { try? FileManager.default.removeItem(atPath: p) } }
        let args = ["--detector", "stub", "--preset", "tiny", "--epochs", "2", "--batch-size", "4", "--max-iterations", "3",
                    "--min-size", "64,80", "--max-size", "128", "--seed", "5", "--threads", "1", "--quiet", "--data", data]
        let (rc1, _, err1) = try attnzoo(["train", "--out", one] + args)
        #expect(rc1 == 0, "\(err1)")
        let (rc2, out2, _) = try mpirun(2, ["train", "--out", two] + args)
        #expect(rc2 == 0, "\(out2)")
        let a = try SafetensorsFile.read(from: URL(fileURLWithPath: one + "/model.safetensors"))
        let b = try SafetensorsFile.read(from: URL(fileURLWithPath: two + "/model.safetensors"))
        #expect(a.names == b.names)
        // Parameters; BN running statistics are per rank (no --sync-bn yet: rank 0's are saved).
        for name in a.names where !name.contains("running_") && !name.contains("num_batches") {
            let x = a[name]!.asFloat32(), y = b[name]!.asFloat32()
            let worst = zip(x, y).map { abs($0 - $1) - 1e-4 * abs($0) }.max() ?? 0
            #expect(worst <= 1e-6, "\(name): 2-rank weights differ from 1-process weights by \(worst) beyond rtol 1e-4")
        }
        let config = try String(contentsOfFile: two + "/config.json", encoding: .utf8)
        #expect(config.contains("\"mpi_ranks\" : 2"), "\(config)")
        // Resume with another N: 2 iterations on 2 ranks, then the third in one process.
        let mixed = tempURL("mixed").path
        defer { try? FileManager.default.removeItem(atPath: mixed) }
        let first = args.map { $0 == "3" ? "2" : $0 }
        let (rc3, out3, _) = try mpirun(2, ["train", "--out", mixed] + first)
        #expect(rc3 == 0, "\(out3)")
        let (rc4, _, err4) = try attnzoo(["train", "--out", mixed, "--resume"] + args)
        #expect(rc4 == 0, "\(err4)")
        let c = try SafetensorsFile.read(from: URL(fileURLWithPath: mixed + "/model.safetensors"))
        for name in a.names where !name.contains("running_") && !name.contains("num_batches") {
            let worst = zip(a[name]!.asFloat32(), c[name]!.asFloat32()).map { abs($0 - $1) - 1e-4 * abs($0) }.max() ?? 0
            #expect(worst <= 1e-6, "\(name): resumed with another rank count, differs by \(worst)")
        }
    }

    @Test("without mpirun the binary runs single-process and needs no MPI")
    func singleProcess() throws {
        let (rc, out, _) = try attnzoo(["mpi-check"])
        #expect(rc == 0 && out.contains("single process"), "\(out)")
    }
}
