import Foundation
import TensorCore

/// One named benchmark: a closure to time and its floating-point operation count (0 if n/a).
struct Benchmark {
    let name: String
    let flops: Double
    let run: () -> Void
}

/// Median wall-clock milliseconds of `repetitions` runs after one warm-up.
func medianMs(repetitions: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<max(1, repetitions) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    times.sort()
    return times[times.count / 2]
}
