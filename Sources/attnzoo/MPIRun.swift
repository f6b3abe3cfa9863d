import Distributed

/// Runs `body` with this process's MPI communicator (nil outside mpirun), finalizing it after.
/// Under mpirun an error on any rank ends every rank with that rank's line (`MPI_Abort`);
/// single-process errors are thrown as they are.
func withMPI(_ body: (MPICommunicator?) throws -> Void) throws {
    let comm: MPICommunicator?
    do { comm = try MPICommunicator.fromEnvironment() } catch { throw CLIError("\(error)") }
    do {
        try body(comm)
        comm?.finalize()
    } catch {
        guard let comm else { throw error }
        comm.abort("\(error)")
    }
}
