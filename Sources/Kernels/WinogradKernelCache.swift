import CKernels
import Synchronization

/// The transformed kernels U of inference Winograd passes, kept between calls and keyed by the
/// weights' contents: each call hashes the weights (`azoo_hash_floats`, one read of them) and reuses
/// U when the hash and the geometry match, so an evaluation over many images packs each layer's U
/// once (Faster R-CNN R50-FPN inference spent ~5% of its time packing them, the RPN head's five
/// times per image). In-place changes of the weights (an optimizer step, a state-dict load) change
/// the hash, so a stale U is never used. Passes that record gradients do not use it (their weights
/// change every step). At most `budgetFloats` (64 M floats, 256 MB) are kept; beyond that the
/// oldest entries go. `AZOO_WINOGRAD_CACHE=0` / `ConvolutionPaths.$winogradKernelCache` turn it off.
final class WinogradKernelCache: Sendable {
    /// One packed U, freed when the last user lets go (an entry evicted while a call uses it stays
    /// alive until that call ends).
    final class Buffer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let count: Int
        init(count: Int) {
            self.count = count
            pointer = .allocate(capacity: count)
        }
        deinit { pointer.deallocate() }
    }

    struct Key: Hashable {
        let weights: UInt, f43: Bool, cin: Int, cout: Int, groups: Int
    }

    private struct Entry { let hash: UInt64; let buffer: Buffer; var stamp: Int }
    private struct State { var entries: [Key: Entry] = [:]; var floats = 0; var clock = 0 }

    static let shared = WinogradKernelCache()
    static let budgetFloats = 64 << 20
    private let state = Mutex(State())

    /// Whether an entry is kept for the weights at `weights` whose contents hash to `azoo_hash_floats(weights, count)` (for tests).
    func holds(_ weights: UnsafePointer<Float>, count: Int) -> Bool {
        let hash = azoo_hash_floats(weights, count)
        return state.withLock { s in s.entries.contains { $0.key.weights == UInt(bitPattern: weights) && $0.value.hash == hash } }
    }

    /// The U for `key` whose weights hash to `hash`, or a new buffer of `count` floats filled by `pack`.
    func buffer(_ key: Key, hash: UInt64, count: Int, pack: (UnsafeMutablePointer<Float>) -> Void) -> Buffer {
        let found: Buffer? = state.withLock { s in
            guard var e = s.entries[key], e.hash == hash, e.buffer.count == count else { return nil }
            s.clock += 1
            e.stamp = s.clock
            s.entries[key] = e
            return e.buffer
        }
        if let found { return found }
        let buffer = Buffer(count: count)
        pack(buffer.pointer)
        guard count <= Self.budgetFloats else { return buffer }
        state.withLock { s in
            if let old = s.entries.removeValue(forKey: key) { s.floats -= old.buffer.count }
            while s.floats + count > Self.budgetFloats, let oldest = s.entries.min(by: { $0.value.stamp < $1.value.stamp }) {
                s.entries.removeValue(forKey: oldest.key)
                s.floats -= oldest.value.buffer.count
            }
            s.clock += 1
            s.entries[key] = Entry(hash: hash, buffer: buffer, stamp: s.clock)
            s.floats += count
        }
        return buffer
    }

    /// Drops every entry.
    func removeAll() { state.withLock { $0 = State() } }
}
