import ArgumentParser
import Attention
import Foundation
import NN
import TensorCore

/// `attnzoo tour`: the main job (`make run`): every zoo module on its seed shape.
struct Tour: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the main job: every attention module on its seed shape with output shape, parameters and timings.")

    @Option(help: "Timed repetitions per measurement.") var repetitions: Int = 3
    @Option(help: "Only the module with exactly this key, or else those whose key contains this text.") var filter: String?

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
    }

    func run() throws {
        print("AttentionZoo \(AttnZoo.version): the attention zoo on its seed shapes (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        print(pad("key", 20) + pad("id", 5) + pad("class", 34) + pad("input", 18) + pad("output", 18)
              + pad("params", 10) + pad("fwd ms", 9) + "fwd+bwd ms")
        var failures = 0
        for kind in AttentionKind.matching(filter) {
            let e = kind.entry
            do {
                let t = try ZooBenchmark.run(e, repetitions: repetitions)
                print(pad(e.key, 20) + pad(e.catalogueID, 5) + pad(e.className, 34)
                      + pad(shapeText(t.shape), 18) + pad(shapeText(t.outputShape), 18) + pad(String(t.parameters), 10)
                      + pad(String(format: "%.2f", t.forwardMs), 9) + String(format: "%.2f", t.forwardBackwardMs))
            } catch {
                failures += 1
                print(pad(e.key, 20) + "failed: \(error)")
            }
        }
        if failures > 0 { throw CLIError("\(failures) module(s) failed in the tour") }
    }
}

func shapeText(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ",") + ")" }
