import Foundation
import NN
import TensorCore

/// Median wall-clock timings of one zoo module at a shape.
public struct ZooTiming: Sendable, Codable {
    public let key: String
    public let shape: [Int]
    public let parameters: Int
    /// Eval mode, no tape.
    public let forwardMs: Double
    /// Train mode: forward, then backward of `output.sum()` into the input and every parameter.
    public let forwardBackwardMs: Double
    public let outputShape: [Int]
}

/// Times zoo modules the way `attnzoo bench` and the tour report them.
public enum ZooBenchmark {
    /// Median of at least `repetitions` timed runs after one warm-up, in milliseconds. Runs
    /// continue (up to 1000) until 0.25 s has been timed, so sub-millisecond modules get enough
    /// samples for a stable median; scripts/bench/zoo_bench.py uses the same rule.
    public static func medianMs(repetitions: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        var total = 0.0
        while times.count < max(1, repetitions) || (total < 250 && times.count < 1000) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            times.append(ms)
            total += ms
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Builds `entry`'s default configuration (seeded) and times it at `shape` (default: the
    /// seed's test shape). `forwardOnly` skips the forward+backward timing (reported as 0).
    public static func run(_ entry: ZooEntry, shape: [Int]? = nil, repetitions: Int = 10, forwardOnly: Bool = false) throws -> ZooTiming {
        let s = shape ?? entry.seedShape
        let instance = try RandomGenerator.withSeed(0) { try entry.buildDefault() }
        let module = instance.module
        let x = RandomGenerator.withSeed(1) { Tensor.randn(s) }
        module.eval()
        var outShape: [Int] = []
        let fwd = medianMs(repetitions: repetitions) { outShape = withNoGrad { module(x) }.shape }
        module.train()
        let xg = x.requiringGrad()
        let fwdBwd = forwardOnly ? 0 : medianMs(repetitions: repetitions) {
            module.zeroGrad()
            xg.zeroGrad()
            module(xg).sum().backward()
        }
        module.eval()
        return ZooTiming(key: entry.key, shape: s, parameters: module.parameterCount,
                         forwardMs: fwd, forwardBackwardMs: fwdBwd, outputShape: outShape)
    }
}
