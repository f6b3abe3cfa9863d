import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Open MPI, loaded at run time: a process started by `mpirun` (Open MPI sets
/// `OMPI_COMM_WORLD_SIZE`) opens `libmpi.so` with `dlopen` and joins `MPI_COMM_WORLD`; any other
/// process runs single-process and needs no MPI at all — the binary links nothing of MPI, so it
/// builds and runs where Open MPI is not installed. Only Open MPI's ABI is supported (its
/// predefined handles are the addresses of exported globals: `ompi_mpi_comm_world`,
/// `ompi_mpi_float`, `ompi_mpi_op_sum`, …).
///
/// Collectives used by data-parallel training: allreduce (blocking and non-blocking, for gradient
/// buckets overlapped with backward), broadcast (rank 0's initial weights), gather of byte blobs
/// (evaluation results), barrier, abort. A rank that dies ends the job: Open MPI's runtime aborts
/// the other ranks within seconds (tested), and `abort(_:)` ends every rank with one line.
public final class MPICommunicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private let api: API

    /// The communicator of this process when started by Open MPI's `mpirun` with more than one
    /// rank, nil otherwise. Throws when started by mpirun but libmpi cannot be loaded or initialised.
    public static func fromEnvironment() throws -> MPICommunicator? {
        guard let s = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"], let n = Int(s), n > 1 else { return nil }
        return try MPICommunicator()
    }

    private init() throws {
        api = try API.load()
        var provided: Int32 = 0
        guard api.initThread(nil, nil, 0, &provided) == 0 else { throw DistributedError("MPI_Init_thread failed") }
        var r: Int32 = 0, s: Int32 = 0
        _ = api.commRank(api.commWorld, &r)
        _ = api.commSize(api.commWorld, &s)
        rank = Int(r)
        size = Int(s)
    }

    /// In-place sum over the ranks of `count` floats at `buffer`.
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count <= Int(Int32.max), "MPI allreduce of \(count) floats exceeds one call")
        check(api.allreduce(API.inPlace, buffer, Int32(count), api.float, api.sum, api.commWorld), "MPI_Allreduce")
    }

    /// In-place sum over the ranks of `count` doubles at `buffer` (SyncBatchNorm's statistics).
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        precondition(count <= Int(Int32.max), "MPI allreduce of \(count) doubles exceeds one call")
        check(api.allreduce(API.inPlace, buffer, Int32(count), api.double, api.sum, api.commWorld), "MPI_Allreduce")
    }

    /// Starts an in-place sum over the ranks; `wait()` the returned request before reading.
    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) -> MPIRequest {
        var request: UnsafeMutableRawPointer?
        check(api.iallreduce(API.inPlace, buffer, Int32(count), api.float, api.sum, api.commWorld, &request), "MPI_Iallreduce")
        return MPIRequest(handle: request, api: api)
    }

    /// Rank `root`'s `count` floats at `buffer`, copied to every rank.
    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int = 0) {
        check(api.bcast(buffer, Int32(count), api.float, Int32(root), api.commWorld), "MPI_Bcast")
    }

    /// Rank `root`'s bytes, copied to every rank (lengths may differ: the root's length is sent first).
    public func broadcast(bytes: [UInt8], root: Int = 0) -> [UInt8] {
        var n = Int64(bytes.count)
        check(api.bcast(&n, 1, api.longLong, Int32(root), api.commWorld), "MPI_Bcast")
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(n))
        out.withUnsafeMutableBytes { p in
            check(api.bcast(p.baseAddress, Int32(n), api.byte, Int32(root), api.commWorld), "MPI_Bcast")
        }
        return out
    }

    /// Every rank's bytes, in rank order, on `root` (empty arrays elsewhere).
    public func gather(bytes: [UInt8], root: Int = 0) -> [[UInt8]] {
        var mine = Int64(bytes.count)
        var counts = [Int64](repeating: 0, count: size)
        check(api.gather(&mine, 1, api.longLong, &counts, 1, api.longLong, Int32(root), api.commWorld), "MPI_Gather")
        // Fixed-size chunks keep to plain MPI_Gather: each rank pads to the longest blob.
        var longest = Int64(bytes.count)
        check(api.allreduce(API.inPlace, &longest, 1, api.longLong, api.max, api.commWorld), "MPI_Allreduce")
        var padded = bytes + [UInt8](repeating: 0, count: Int(longest) - bytes.count)
        var all = [UInt8](repeating: 0, count: rank == root ? Int(longest) * size : 0)
        padded.withUnsafeMutableBytes { src in
            all.withUnsafeMutableBytes { dst in
                check(api.gather(src.baseAddress, Int32(longest), api.byte, dst.baseAddress, Int32(longest), api.byte,
                                 Int32(root), api.commWorld), "MPI_Gather")
            }
        }
        guard rank == root else { return [] }
        return (0..<size).map { r in Array(all[(r * Int(longest))..<(r * Int(longest) + Int(counts[r]))]) }
    }

    public func barrier() { check(api.barrier(api.commWorld), "MPI_Barrier") }

    /// Ends every rank of the job after printing `message` (one line) on this rank's stderr.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("attnzoo (rank \(rank)/\(size)): \(message)\n".utf8))
        _ = api.abort(api.commWorld, code)
        exit(code)
    }

    /// Leaves MPI (call once, at the end).
    public func finalize() { _ = api.finalize() }

    private func check(_ rc: Int32, _ what: String) {
        if rc != 0 { abort("\(what) failed with MPI error \(rc)") }
    }
}

/// A pending non-blocking collective.
public final class MPIRequest: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?
    private let api: MPICommunicator.API

    init(handle: UnsafeMutableRawPointer?, api: MPICommunicator.API) {
        self.handle = handle
        self.api = api
    }

    /// Blocks until the collective has completed.
    public func wait() {
        guard handle != nil else { return }
        _ = api.wait(&handle, nil)
        handle = nil
    }
}

/// A distributed run that cannot go on: one line.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension MPICommunicator {
    /// The MPI functions and predefined handles, resolved from libmpi with dlsym.
    struct API: @unchecked Sendable {
        typealias Handle = UnsafeMutableRawPointer
        static var inPlace: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 1) }   // Open MPI's MPI_IN_PLACE ((void *) 1)

        let initThread: @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
        let commRank: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
        let commSize: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
        let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
        let iallreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle,
                                        UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Int32
        let wait: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutableRawPointer?) -> Int32
        let bcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
        let gather: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
        let barrier: @convention(c) (Handle) -> Int32
        let abort: @convention(c) (Handle, Int32) -> Int32
        let finalize: @convention(c) () -> Int32
        let commWorld: Handle, float: Handle, double: Handle, byte: Handle, longLong: Handle, sum: Handle, max: Handle

        static func load() throws -> API {
            let names = ["libmpi.so.40", "libmpi.so", "/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so"]
            guard let lib = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
                throw DistributedError("started by mpirun, but Open MPI's libmpi cannot be loaded (install openmpi-bin / libopenmpi-dev)")
            }
            func sym(_ name: String) throws -> UnsafeMutableRawPointer {
                guard let p = dlsym(lib, name) else { throw DistributedError("libmpi has no symbol \(name) (Open MPI is required)") }
                return p
            }
            func fn<F>(_ name: String, _: F.Type) throws -> F { unsafeBitCast(try sym(name), to: F.self) }
            return API(initThread: try fn("MPI_Init_thread", (@convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32).self),
                       commRank: try fn("MPI_Comm_rank", (@convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32).self),
                       commSize: try fn("MPI_Comm_size", (@convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32).self),
                       allreduce: try fn("MPI_Allreduce", (@convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32).self),
                       iallreduce: try fn("MPI_Iallreduce", (@convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle, UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Int32).self),
                       wait: try fn("MPI_Wait", (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutableRawPointer?) -> Int32).self),
                       bcast: try fn("MPI_Bcast", (@convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32).self),
                       gather: try fn("MPI_Gather", (@convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32).self),
                       barrier: try fn("MPI_Barrier", (@convention(c) (Handle) -> Int32).self),
                       abort: try fn("MPI_Abort", (@convention(c) (Handle, Int32) -> Int32).self),
                       finalize: try fn("MPI_Finalize", (@convention(c) () -> Int32).self),
                       commWorld: try sym("ompi_mpi_comm_world"), float: try sym("ompi_mpi_float"), double: try sym("ompi_mpi_double"), byte: try sym("ompi_mpi_byte"),
                       longLong: try sym("ompi_mpi_long_long_int"), sum: try sym("ompi_mpi_op_sum"), max: try sym("ompi_mpi_op_max"))
        }
    }
}
