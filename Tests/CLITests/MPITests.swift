import Foundation
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

    @Test("without mpirun the binary runs single-process and needs no MPI")
    func singleProcess() throws {
        let (rc, out, _) = try attnzoo(["mpi-check"])
        #expect(rc == 0 && out.contains("single process"), "\(out)")
    }
}
