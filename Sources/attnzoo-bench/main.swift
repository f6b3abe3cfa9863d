import Foundation
import TensorCore

// attnzoo-bench: engine micro-benchmarks, JSON lines {"name", "ms", "gflops"}.
// Usage: attnzoo-bench [--filter SUBSTR | --exact NAME] [--repetitions N] [--min]
// --min reports the fastest repetition instead of the median (steadier on a shared machine).

var filter: String? = nil
var exact: String? = nil
var fastest = false
var repetitions = 10
var argv = CommandLine.arguments.dropFirst()
while let a = argv.popFirst() {
    switch a {
    case "--filter": filter = argv.popFirst()
    case "--exact": exact = argv.popFirst()
    case "--min": fastest = true
    case "--repetitions": repetitions = Int(argv.popFirst() ?? "") ?? repetitions
    default:
        FileHandle.standardError.write(Data("attnzoo-bench: unknown argument \(a)\n".utf8))
        exit(2)
    }
}

// Backbone rows are only run when asked for by --filter backbone (their own script times them).
// Faster R-CNN rows likewise only by --filter frcnn (scripts/bench/faster_rcnn_bench.sh).
let askedFor = [filter, exact].compactMap { $0 }
let all = askedFor.contains { $0.hasPrefix("backbone") } ? backboneBenchmarks()
    : askedFor.contains { $0.hasPrefix("frcnn") } ? fasterRCNNBenchmarks() : engineBenchmarks() + detectionBenchmarks()
for b in all where (filter == nil || b.name.contains(filter!)) && (exact == nil || b.name == exact!) {
    let ms = fastest ? minMs(repetitions: repetitions, b.run) : medianMs(repetitions: repetitions, b.run)
    let gflops = b.flops > 0 ? b.flops / (ms * 1e6) : 0
    print("{\"name\": \"\(b.name)\", \"ms\": \(String(format: "%.4f", ms)), \"gflops\": \(String(format: "%.2f", gflops))}")
}

func minMs(repetitions: Int, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<max(1, repetitions) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    return best
}
