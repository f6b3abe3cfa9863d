import ArgumentParser
import Attention
import Backbones
import Foundation
import NN
import TensorCore
import TensorIO

/// `attnzoo backbone list|run|summary`: the named backbones (C1–C5) with the attention slot.
struct BackboneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backbone", abstract: "Named backbones (ResNet family, SE/SK/ResNeXt/ResNeSt/CBAM) with an attention slot.",
        subcommands: [BackboneList.self, BackboneRun.self, BackboneSummary.self])
}

/// Options shared by the backbone commands: name, plugins, constructor arguments.
struct BackboneOptions: ParsableArguments {
    @Argument(help: "Backbone name (see `attnzoo backbone list`).") var name: String
    @Option(name: .customLong("plugin"), help: ArgumentHelp(
        "Attention plugin KEY[:stages=2,3,4][:position=after_conv3][:NAME=VALUE...] (repeatable).",
        discussion: "Positions: after_conv1, after_conv2, after_conv3 (default), after_block; stages 1–4 (default all)."))
    var plugins: [String] = []
    @Option(name: .customLong("arg"), help: ArgumentHelp(
        "Constructor option NAME=VALUE (repeatable): num_classes, zero_init_residual, groups, width_per_group, "
            + "replace_stride_with_dilation (e.g. 0,0,1), norm_layer (BatchNorm2d|FrozenBatchNorm2d), features_only, "
            + "frozen_stages, trainable_layers, norm_eval."))
    var args: [String] = []
    @Option(help: "Seed of the default initialisation.") var seed: UInt64 = 0

    func build() throws -> ResNet {
        let specs = try plugins.map { try AttentionPlugin(spec: $0) }
        let arguments = try ModuleArguments(module: name, assignments: args)
        return try RandomGenerator.withSeed(seed) { try BackboneKind.build(name, arguments: arguments, plugins: specs) }
    }
}

struct BackboneList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the named backbones: name, catalogue ID, source, parameters, MACs at 224×224.")

    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        var rows: [[String: Any]] = []
        for e in BackboneKind.entries {
            let net = try RandomGenerator.withSeed(0) { try BackboneKind.build(e.name) }
            let macs = ModuleSummary.measure(net, input: Tensor.zeros([1, 3, 224, 224])).totalMACs
            rows.append(["name": e.name, "id": e.catalogueID, "source": e.source, "parameters": net.parameterCount,
                         "macs_224": macs, "note": e.note])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(pad("name", 22) + pad("id", 5) + pad("params", 11) + pad("GMACs", 8) + "source")
        for r in rows {
            print(pad(r["name"] as! String, 22) + pad(r["id"] as! String, 5) + pad(String(r["parameters"] as! Int), 11)
                  + pad(String(format: "%.2f", Double(r["macs_224"] as! Int) / 1e9), 8) + (r["source"] as! String))
        }
    }
}

struct BackboneRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a backbone on a .npy image batch (N, 3, H, W); write logits, stage outputs, gradients, weights.")

    @OptionGroup var options: BackboneOptions
    @Option(help: "Input tensor (.npy, (N, 3, H, W)).") var input: String
    @Option(help: "Output file (.npy float32): the classifier output (N, num_classes).") var output: String
    @Option(help: "Weights to load strictly (.safetensors with torchvision/timm state-dict keys).") var weights: String?
    @Flag(help: "Run in train mode (batch statistics; BN running stats update).") var train = false
    @Option(help: "Write gradients of output.sum(): key `input` plus one entry per parameter (.safetensors).") var grads: String?
    @Option(name: .customLong("save-weights"), help: "Write the state dict after the run (.safetensors).") var saveWeights: String?
    @Option(help: "Write the stage outputs C2…C5 under keys layer1…layer4 (.safetensors).") var features: String?

    func run() throws {
        let net = try options.build()
        guard net.fc != nil else { throw CLIError("--arg features_only=1: `backbone run` writes the classifier output; use --features for the stage outputs") }
        let array = try NPY.read(from: URL(fileURLWithPath: input))
        if let problem = net.inputMismatch(array.shape) { throw CLIError("\(input): \(problem)") }
        if let weights { try net.load(safetensors: URL(fileURLWithPath: weights)) }
        net.train(train)
        var x = Tensor(array.asFloat32(), shape: array.shape)
        if grads != nil { x = x.requiringGrad() }
        // One pass: the stage outputs, then the head on C5 (BN buffers update once in train mode).
        let (feats, y) = grads != nil ? pass(net, x) : withNoGrad { pass(net, x) }
        if let features {
            try SafetensorsFile(entries: feats.enumerated().map { i, f in ("layer\(i + 1)", HostArray(float32: f.scalars, shape: f.shape)) })
                .write(to: URL(fileURLWithPath: features))
        }
        try NPY.write(HostArray(float32: y.scalars, shape: y.shape), to: URL(fileURLWithPath: output))
        if let grads { try writeGradients(of: y, input: x, module: net, to: grads) }
        if let saveWeights { try net.saveSafetensors(to: URL(fileURLWithPath: saveWeights)) }
    }
}

private func pass(_ net: ResNet, _ x: Tensor) -> ([Tensor], Tensor) {
    let feats = net.features(x)
    return (feats, net.classify(feats[3]))
}

struct BackboneSummary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Per-layer output shapes, parameters and MACs (attention's matrix products counted too).")

    @OptionGroup var options: BackboneOptions
    @Option(help: "Input shape N,C,H,W (default 1,3,224,224).") var shape: String = "1,3,224,224"

    func run() throws {
        let net = try options.build()
        let dims = try parseShape(shape, flag: "--shape")
        if let problem = net.inputMismatch(dims) { throw CLIError("--shape: \(problem)") }
        let x = RandomGenerator.withSeed(1) { Tensor.randn(dims) }
        let (rows, total) = ModuleSummary.measure(net, input: x)
        print(ModuleSummary.render(rows, inputShape: dims, totalParameters: net.parameterCount, totalMACs: total))
    }
}

/// `attnzoo precise-bn NAME ...`: Precise BN (A2) over K batches of an image file.
struct PreciseBNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "precise-bn",
        abstract: "Recompute a backbone's BatchNorm statistics as the true average over K batches (Precise BN, A2).",
        discussion: "Splits --input (N, 3, H, W) into consecutive batches of --batch-size (the last partial batch is dropped), "
            + "runs them in train mode without gradients, sets every running mean/var to the average of the batch "
            + "statistics (torch.optim.swa_utils.update_bn), and writes the state dict. Parameters are not changed.")

    @OptionGroup var options: BackboneOptions
    @Option(help: "Images (.npy, (N, 3, H, W)).") var input: String
    @Option(help: "Weights to start from (.safetensors); default the seeded initialisation.") var weights: String?
    @Option(name: .customLong("batch-size"), help: "Images per batch.") var batchSize: Int = 8
    @Option(help: "Number of batches K (default: all full batches of --input).") var batches: Int?
    @Option(name: .customLong("save-weights"), help: "Where to write the updated state dict (.safetensors).") var saveWeights: String

    func run() throws {
        let net = try options.build()
        let array = try NPY.read(from: URL(fileURLWithPath: input))
        if let problem = net.inputMismatch(array.shape) { throw CLIError("\(input): \(problem)") }
        guard batchSize > 0 else { throw CLIError("--batch-size \(batchSize) must be positive") }
        let available = array.shape[0] / batchSize
        let k = batches ?? available
        guard k > 0, k <= available else {
            throw CLIError("--batches \(k): \(input) holds \(available) full batch\(available == 1 ? "" : "es") of \(batchSize)")
        }
        if let weights { try net.load(safetensors: URL(fileURLWithPath: weights)) }
        let x = Tensor(array.asFloat32(), shape: array.shape)
        let parts = (0..<k).map { x.slice(axis: 0, start: $0 * batchSize, end: ($0 + 1) * batchSize) }
        PreciseBN.update(net, batches: parts)
        try net.saveSafetensors(to: URL(fileURLWithPath: saveWeights))
        print("precise-bn: \(k) batches of \(batchSize) → \(saveWeights)")
    }
}

/// Parses `N,C,H,W` into positive integers.
func parseShape(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! > 0 }) else {
        throw CLIError("\(flag) '\(text)' is not a list of positive integers like 1,3,224,224")
    }
    return parts.map { $0! }
}
