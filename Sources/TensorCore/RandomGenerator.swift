import Foundation

/// A seeded pseudo-random source (xoshiro256**), safe to share between threads.
///
/// The default is task-local: `RandomGenerator.withSeed(42) { ... }` makes every random op
/// inside reproducible without global mutable state.
public final class RandomGenerator: @unchecked Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private let lock = NSLock()

    public init(seed: UInt64) {
        // splitmix64 expands the seed into the four state words.
        var z = seed
        func next() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (next(), next(), next(), next())
    }

    /// A generator continuing from a saved ``state`` (four words, as `state` returns them).
    public init(state: [UInt64]) {
        precondition(state.count == 4, "RandomGenerator(state:) needs four words, got \(state.count)")
        s = (state[0], state[1], state[2], state[3])
    }

    /// The xoshiro256** state: saving it and assigning it back (or `init(state:)`) continues the
    /// stream exactly where it was (checkpoints). Setting needs four words.
    public var state: [UInt64] {
        get { lock.lock(); defer { lock.unlock() }; return [s.0, s.1, s.2, s.3] }
        set {
            precondition(newValue.count == 4, "RandomGenerator.state needs four words, got \(newValue.count)")
            lock.lock(); defer { lock.unlock() }
            s = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    @TaskLocal public static var current = RandomGenerator(seed: 0x5EED)

    /// Runs `body` with a fresh generator seeded with `seed` as the task's default.
    public static func withSeed<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $current.withValue(RandomGenerator(seed: seed), operation: body)
    }

    private func nextUnlocked() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// `count` uniform floats in [0, 1).
    public func uniform(_ count: Int) -> [Float] {
        lock.lock(); defer { lock.unlock() }
        return (0..<count).map { _ in Float(nextUnlocked() >> 40) * 0x1p-24 }
    }

    /// `count` standard normal floats (Box–Muller).
    public func normal(_ count: Int) -> [Float] {
        lock.lock(); defer { lock.unlock() }
        var out = [Float](); out.reserveCapacity(count)
        while out.count < count {
            let u1 = (Double(nextUnlocked() >> 11) + 1) * 0x1p-53
            let u2 = Double(nextUnlocked() >> 11) * 0x1p-53
            let r = (-2 * Foundation.log(u1)).squareRoot()
            out.append(Float(r * Foundation.cos(2 * .pi * u2)))
            if out.count < count { out.append(Float(r * Foundation.sin(2 * .pi * u2))) }
        }
        return out
    }

    /// A uniform integer in `0..<bound`.
    public func integer(below bound: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        return Int(nextUnlocked() % UInt64(bound))
    }
}
