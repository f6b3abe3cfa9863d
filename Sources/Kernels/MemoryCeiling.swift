import Foundation
import Synchronization

/// A ceiling on the bytes that live tensors and convolution workspaces hold together: half the
/// machine's physical memory, or `AZOO_MAX_TENSOR_BYTES`. An allocation that would cross it calls
/// the installed handler (the CLI prints one line and exits non-zero; see `ShapeCheck`) or traps,
/// instead of an allocation failure or the kernel's out-of-memory kill: the last line of defence
/// behind the argument and input checks, for a combination of legal sizes that is still too large
/// (`se --arg channel=60000 --arg reduction=1`, a 255×255 kernel over a large image).
public enum MemoryCeiling {
    /// The ceiling in bytes.
    public static let bytes: Int = {
        if let s = ProcessInfo.processInfo.environment["AZOO_MAX_TENSOR_BYTES"], let v = Int(s), v > 0 { return v }
        return Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
    }()
    private static let live = Atomic<Int>(0)
    // Written once by `installHandler` before any other thread exists; read-only afterwards.
    nonisolated(unsafe) private static var handler: (@Sendable (String) -> Never)?

    /// Installs what crossing the ceiling does (once, at start-up, before any tensor work).
    public static func installHandler(_ handler: @escaping @Sendable (String) -> Never) { self.handler = handler }

    /// Bytes held now.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    /// Counts `count` Float32 elements about to be allocated; reports instead when they would cross the ceiling.
    public static func reserve(floats count: Int) {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        if !overflow, live.wrappingAdd(bytes, ordering: .relaxed).newValue <= Self.bytes { return }
        if !overflow { live.wrappingSubtract(bytes, ordering: .relaxed) }
        let gib = { (b: Int) in String(format: "%.1f GiB", Double(b) / Double(1 << 30)) }
        let message = "cannot allocate \(count) floats (\(overflow ? "over 2⁶³ bytes" : gib(bytes))) with \(gib(liveBytes)) "
            + "already held: over the memory ceiling of \(gib(Self.bytes)) (half this machine's memory, or "
            + "AZOO_MAX_TENSOR_BYTES); the module's arguments or the input are too large"
        if let handler { handler(message) }
        fatalError(message)
    }

    /// Counts `count` Float32 elements freed.
    public static func release(floats count: Int) { live.wrappingSubtract(count &* MemoryLayout<Float>.stride, ordering: .relaxed) }
}
