import Attention
import Foundation
import TensorCore

/// One named benchmark: a closure to time and its floating-point operation count (0 if n/a).
struct Benchmark {
    let name: String
    let flops: Double
    let run: () -> Void
}

/// Median wall-clock milliseconds after one warm-up (the zoo's timer: at least `repetitions` runs, more until 0.25 s).
func medianMs(repetitions: Int, _ body: () -> Void) -> Double { ZooBenchmark.medianMs(repetitions: repetitions, body) }
