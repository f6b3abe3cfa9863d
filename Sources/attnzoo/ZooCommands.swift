import ArgumentParser
import Attention
import Foundation
import NN
import TensorCore
import TensorIO

/// `attnzoo list [--json]`: every registered module.
struct ListModules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List every registered attention module: key, catalogue ID, class, paper, parameters.")

    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        var rows: [[String: String]] = []
        for kind in AttentionKind.allCases {
            let e = kind.entry
            let params = try RandomGenerator.withSeed(0) { try e.buildDefault() }.module.parameterCount
            rows.append(["key": e.key, "id": e.catalogueID, "class": e.className, "paper": e.paper,
                         "parameters": String(params), "reference": e.reference, "shape": e.shapeContract])
        }
        if json {
            let objects = rows.map { r -> [String: Any] in
                var o: [String: Any] = r
                o["parameters"] = Int(r["parameters"]!)!
                return o
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(pad("key", 14) + pad("id", 5) + pad("class", 34) + pad("params", 10) + "paper")
        for r in rows {
            print(pad(r["key"]!, 14) + pad(r["id"]!, 5) + pad(r["class"]!, 34) + pad(r["parameters"]!, 10) + r["paper"]!)
        }
    }
}

/// `attnzoo run KEY ...`: build, load, run, write.
struct RunModule: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one module on a .npy input and write its output (and optionally gradients and weights).")

    @Argument(help: "Registry key (see `attnzoo list`).") var key: String
    @Option(name: .customLong("arg"), help: "Constructor argument by the seed's Python name, NAME=VALUE (repeatable).")
    var args: [String] = []
    @Option(help: "Input tensor (.npy, float32/float64).") var input: String
    @Option(help: "Output file (.npy float32; the first element of tuple outputs).") var output: String
    @Option(help: "Weights to load strictly (.safetensors with PyTorch state-dict keys).") var weights: String?
    @Flag(help: "Run in train mode (batch statistics; BN running stats update).") var train = false
    @Option(help: "Write gradients of output.sum(): key `input` plus one entry per parameter (.safetensors).") var grads: String?
    @Option(name: .customLong("save-weights"), help: "Write the state dict after the run (.safetensors).") var saveWeights: String?
    @Option(help: "Seed of the default initialisation.") var seed: UInt64 = 0

    func run() throws {
        let kind = try AttentionKind.named(key)
        let instance = try RandomGenerator.withSeed(seed) {
            try kind.entry.build(ModuleArguments(module: key, assignments: args))
        }
        let module = instance.module
        let array = try NPY.read(from: URL(fileURLWithPath: input))
        if let problem = instance.mismatch(for: array.shape) { throw CLIError("\(input): \(problem)") }
        if let weights { try module.load(safetensors: URL(fileURLWithPath: weights)) }
        module.train(train)
        var x = Tensor(array.asFloat32(), shape: array.shape)
        if grads != nil { x = x.requiringGrad() }
        let y = grads != nil ? module(x) : withNoGrad { module(x) }
        try NPY.write(HostArray(float32: y.scalars, shape: y.shape), to: URL(fileURLWithPath: output))
        if let grads { try writeGradients(of: y, input: x, module: module, to: grads) }
        if let saveWeights { try module.saveSafetensors(to: URL(fileURLWithPath: saveWeights)) }
    }
}

/// `attnzoo bench`: median forward and forward+backward times at the seed shapes.
struct BenchModules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time every module at its seed shape (median ms, eval forward and train forward+backward).")

    @Option(help: "Also write the timings as JSON to this file.") var json: String?
    @Option(help: "Only the module with exactly this key, or else those whose key contains this text.") var filter: String?
    @Option(help: "Timed repetitions per measurement.") var repetitions: Int = 10
    @Flag(help: "Time the eval forward pass only (for profiling); fwd+bwd is reported as 0.") var forwardOnly = false

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
    }

    func run() throws {
        let kinds = AttentionKind.matching(filter)
        if kinds.isEmpty { throw CLIError("--filter \(filter ?? ""): no module key matches") }
        var timings: [ZooTiming] = []
        print(pad("key", 14) + pad("shape", 20) + pad("fwd ms", 10) + "fwd+bwd ms")
        for kind in kinds {
            for shape in kind.entry.benchShapes {
                let t = try ZooBenchmark.run(kind.entry, shape: shape, repetitions: repetitions, forwardOnly: forwardOnly)
                timings.append(t)
                print(pad(t.key, 14) + pad(t.shape.map(String.init).joined(separator: ","), 20)
                      + pad(String(format: "%.3f", t.forwardMs), 10) + String(format: "%.3f", t.forwardBackwardMs))
            }
        }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(timings).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// Gradients of `output.sum()`: key `input`, then every parameter under its state-dict key
/// (zeros for parameters the output does not reach), written as safetensors.
func writeGradients(of output: Tensor, input: Tensor, module: Module, to path: String) throws {
    output.sum().backward()
    var entries: [(name: String, array: HostArray)] = []
    if let g = input.grad { entries.append(("input", HostArray(float32: g.scalars, shape: g.shape))) }
    for (name, p) in module.namedParameters() {
        let g = p.grad ?? Tensor.zeros(p.value.shape)
        entries.append((name, HostArray(float32: g.scalars, shape: g.shape)))
    }
    try SafetensorsFile(entries: entries).write(to: URL(fileURLWithPath: path))
}

/// Left-aligned fixed-width cell.
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// `attnzoo summary KEY [--arg ...] --shape N,C,H,W`: torchsummary-style table (A4).
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print each layer's output shape, parameters and multiply-accumulates for one module.")

    @Argument(help: "Registry key (see `attnzoo list`).") var key: String
    @Option(name: .customLong("arg"), help: "Constructor argument by the seed's Python name, NAME=VALUE (repeatable).")
    var args: [String] = []
    @Option(help: "Input shape, e.g. 2,512,7,7 (default: the module's seed shape).") var shape: String?

    func run() throws {
        let kind = try AttentionKind.named(key)
        let instance = try RandomGenerator.withSeed(0) { try kind.entry.build(ModuleArguments(module: key, assignments: args)) }
        let dims: [Int]
        if let shape {
            let parts = shape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! > 0 }) else {
                throw CLIError("--shape '\(shape)' is not a list of positive integers like 2,512,7,7")
            }
            dims = parts.map { $0! }
        } else {
            dims = kind.entry.seedShape
        }
        if let problem = instance.mismatch(for: dims) { throw CLIError("--shape: \(problem)") }
        let x = RandomGenerator.withSeed(1) { Tensor.randn(dims) }
        let rows = ModuleSummary.record(instance.module, input: x)
        print(ModuleSummary.render(rows, inputShape: dims, totalParameters: instance.module.parameterCount))
    }
}
