import ArgumentParser
import Backbones
import Boxes
import COCOEval
import Detection
import Distributed
import Foundation
import NN
import TensorCore

/// Detector options shared by `train` and `evaluate` (each overrides the preset's value).
struct DetectorOptions: ParsableArguments {
    @Option(help: "Backbone name (attnzoo backbone list), e.g. resnet18, resnet50.") var backbone: String?
    @Option(name: .customLong("plugin"), help: ArgumentHelp(
        "Attention plugin KEY[:stages=2,3,4][:position=after_conv3][:NAME=VALUE...] for the backbone (repeatable).",
        valueName: "SPEC")) var plugins: [String] = []
    @Option(help: ArgumentHelp("Shorter side(s) the detector resizes to; several (comma-separated) = multi-scale training, the last for evaluation.",
                               valueName: "S")) var minSize: String?
    @Option(help: ArgumentHelp("Cap on the longer side.", valueName: "S")) var maxSize: Int?
    @Option(help: "Box-head regression loss: smooth-l1 | l1 | iou | giou | diou | ciou.") var boxLoss: String?
    @Option(help: "NMS of the RPN and postprocessing: greedy (torchvision) | diou | cluster | cluster-weighted | cluster-diou | soft-linear | soft-gaussian | matrix.")
    var nms: String?
    @Option(help: ArgumentHelp("Backbone stem and stage widths (mmdetection's base_channels; torchvision: 64).", valueName: "C"))
    var baseChannels: Int?
    @Option(help: ArgumentHelp("FPN output channels (torchvision: 256).", valueName: "C")) var fpnChannels: Int?
    @Option(help: ArgumentHelp("Box head's hidden width (torchvision: 1024).", valueName: "N")) var representationSize: Int?
    @Option(help: ArgumentHelp("Anchor side per FPN level, comma-separated, one per level (torchvision: 32,64,128,256,512).", valueName: "S,S,..."))
    var anchorSizes: String?
    @Option(help: ArgumentHelp("Anchor aspect ratios h/w, comma-separated (torchvision: 0.5,1,2).", valueName: "R,R,...")) var aspectRatios: String?
    /// Hidden, for tests: `stub` trains ``StubDetector`` instead of Faster R-CNN.
    @Option(help: .hidden) var detector = "faster-rcnn"

    static let boxLosses = ["smooth-l1", "l1", "iou", "giou", "diou", "ciou"]

    /// Applies the options to `config`, checking every name; errors name the option.
    func apply(to config: inout DetectorConfig) throws {
        guard ["faster-rcnn", "stub"].contains(detector) else { throw CLIError("--detector: unknown detector '\(detector)'") }
        if let backbone {
            if detector == "faster-rcnn" {
                do { _ = try BackboneKind.named(backbone) } catch { throw CLIError("--backbone: \(error)") }
            }
            config.backbone = backbone
        }
        for spec in plugins {
            do { _ = try AttentionPlugin(spec: spec) } catch { throw CLIError("--plugin: \(error)") }
        }
        if !plugins.isEmpty { config.plugins = plugins }
        if let minSize {
            let sides = minSize.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sides.isEmpty, sides.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw CLIError("--min-size: '\(minSize)' is not a positive integer or comma-separated list of them")
            }
            config.minSize = sides.map { $0! }
        }
        if let maxSize {
            guard maxSize > 0 else { throw CLIError("--max-size must be positive, got \(maxSize)") }
            config.maxSize = maxSize
        }
        if let boxLoss {
            guard Self.boxLosses.contains(boxLoss) else {
                throw CLIError("--box-loss: unknown box loss '\(boxLoss)' (known: \(Self.boxLosses.joined(separator: ", ")))")
            }
            config.boxLoss = boxLoss
        }
        if let nms {
            guard NMSMethod(rawValue: nms) != nil else {
                throw CLIError("--nms: unknown NMS '\(nms)' (known: \(NMSMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            config.nms = nms
        }
        for (name, value, range) in [("--base-channels", baseChannels, 4...1024), ("--fpn-channels", fpnChannels, 1...4096),
                                     ("--representation-size", representationSize, 1...16384)] {
            if let value, !range.contains(value) {
                throw CLIError("\(name) must be within \(range.lowerBound)…\(range.upperBound), got \(value)")
            }
        }
        if let baseChannels { config.backboneBaseChannels = baseChannels }
        if let fpnChannels { config.fpnChannels = fpnChannels }
        if let representationSize { config.representationSize = representationSize }
        if let anchorSizes {
            let v = anchorSizes.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == config.anchorSizes.count, v.allSatisfy({ (1...4096).contains($0 ?? 0) }) else {
                throw CLIError("--anchor-sizes: '\(anchorSizes)' is not \(config.anchorSizes.count) integers within 1…4096 (one per FPN level)")
            }
            config.anchorSizes = v.map { [$0!] }
        }
        if let aspectRatios {
            let v = aspectRatios.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !v.isEmpty, v.count <= 16, v.allSatisfy({ ($0 ?? 0) > 0.01 && ($0 ?? 0) < 100 }) else {
                throw CLIError("--aspect-ratios: '\(aspectRatios)' is not a list of 1…16 ratios within 0.01…100")
            }
            config.aspectRatios = v.map { $0! }
        }
        if detector == "stub" { config.backbone = "stub" }
    }

    /// Builds the detector (weights initialised from `seed`); a failure is one line.
    func build(_ config: DetectorConfig, seed: UInt64) throws -> any Detector {
        if detector == "stub" { return RandomGenerator.withSeed(seed) { StubDetector(config: config) } }
        do {
            return try RandomGenerator.withSeed(seed) { try buildDetector(config) }
        } catch {
            throw CLIError("cannot build the detector (backbone \(config.backbone)): \(error)")
        }
    }
}

/// Loads a split; dataset errors become one line naming the file.
func loadSplit(_ data: String, _ split: String) throws -> COCODataset {
    var warnings: [String] = []
    let ds: COCODataset
    do { ds = try COCODataset(directory: data, split: split) } catch { throw CLIError("\(error)") }
    warnings = ds.warnings
    for w in warnings { FileHandle.standardError.write(Data("attnzoo: warning: \(w)\n".utf8)) }
    return ds
}

/// `attnzoo train`: trains a detector on a COCO-format dataset into a run folder.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a Faster R-CNN detector on a COCO-format dataset (checkpoints, resume, per-epoch COCO evaluation).",
        discussion: """
            Reads DATA/annotations/instances_{train,val}.json and DATA/{train,val}/. Writes OUT/config.json (every setting \
            and torchvision's constructor arguments when expressible), OUT/log.jsonl (a line per iteration and epoch), \
            OUT/model.safetensors (latest weights, torchvision keys), OUT/checkpoint/checkpoint.safetensors (full state, \
            written atomically each epoch, at --max-iterations and on Ctrl-C) and OUT/eval.json (COCO stats of the val split \
            per epoch, presets coco and mmdet). --resume continues a run from its checkpoint with the same settings; a run \
            killed at any moment and resumed ends with the weights of an uninterrupted run. Presets: seed002 (R50-FPN, \
            1333×800, 1x schedule, lr 0.02 × batch/16) tiny (ResNet-18 FPN, 256–320 px, for a small CPU) and small (a narrow ResNet-18 FPN at 224 px: make run). See docs/training.md.
            """)

    @Option(help: "Dataset folder (COCO format: annotations/instances_{train,val}.json, train/, val/).") var data: String
    @Option(help: "Run folder (created; must not hold another run unless --resume).") var out: String
    @Option(help: "Settings preset: seed002 | tiny | small.") var preset = "seed002"
    @OptionGroup var model: DetectorOptions
    @Option(help: "Epochs.") var epochs: Int?
    @Option(help: "Global batch size (the preset's learning rate scales linearly with it unless --lr is given).") var batchSize: Int?
    @Option(help: "Base learning rate.") var lr: Float?
    @Option(help: "Learning-rate schedule after warm-up: step | cosine.") var schedule: String?
    @Option(help: "Warm-up iterations (linear from 0.001).") var warmupIterations: Int?
    @Option(help: "Clip the global gradient norm to this value.") var gradClip: Float?
    @Option(help: "Precise BN before each evaluation over this many training batches (0: off).") var preciseBn: Int?
    @Option(help: "Seed of the weights' initialisation, data order, augmentation and the model's sampling.") var seed: UInt64 = 0
    @Option(help: "Stop after this many iterations in all (a checkpoint is written there).") var maxIterations: Int?
    @Flag(help: "Under mpirun: BatchNorm statistics over the global batch (SyncBatchNorm); without it each rank normalises its own part.")
    var syncBn = false
    @Option(help: "Image decoding threads.") var threads = 2
    @Flag(help: "Continue the run in --out from its checkpoint (same settings required).") var resume = false
    @Flag(help: "No progress bar.") var quiet = false
    /// Hidden, for tests: SIGKILL this process right after global iteration N.
    @Option(help: .hidden) var testKillAt: Int?
    /// Hidden, for tests: send this process SIGINT (as Ctrl-C does) right after global iteration N.
    @Option(help: .hidden) var testSigintAt: Int?
    /// Hidden, for tests: SIGKILL this process inside its Nth checkpoint write, after the temporary file is durable, before the rename.
    @Option(help: .hidden) var testKillInCheckpointWrite: Int?

    func settings(classes: Int) throws -> (DetectorConfig, TrainingConfig) {
        guard let p = TrainingPreset(rawValue: preset) else {
            throw CLIError("--preset: unknown preset '\(preset)' (known: \(TrainingPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var (d, t) = p.settings(batchSize: batchSize)
        try model.apply(to: &d)
        d.numClasses = classes + 1
        if let epochs { t.epochs = epochs }
        if let lr { t.lr = lr }
        if let schedule { t.schedule = schedule }
        if let warmupIterations { t.warmupIterations = warmupIterations }
        if let gradClip { t.gradClipNorm = gradClip }
        if let preciseBn { t.preciseBNBatches = preciseBn }
        t.seed = seed; t.maxIterations = maxIterations; t.threads = threads
        if syncBn { t.syncBN = true }
        do { try t.validate() } catch { throw CLIError("\(error)") }
        return (d, t)
    }

    func run() throws {
        // Under mpirun every rank runs this; an error on any rank ends them all with its line.
        try withMPI(train)
    }

    func train(comm: MPICommunicator?) throws {
        // Options first (nothing read or written yet), then the data, then the model.
        _ = try settings(classes: 1)
        let trainSet = try loadSplit(data, "train"), valSet = try loadSplit(data, "val")
        let (d, t) = try settings(classes: trainSet.categories.count)
        let detector = try model.build(d, seed: seed)
        var extra: [String: Any] = ["preset": preset, "data": data, "attnzoo_version": AttnZoo.version]
        extra["torchvision"] = torchvisionArguments(d) ?? NSNull()
        let trainer: Trainer
        do {
            trainer = try Trainer(detector: detector, config: t, trainSet: trainSet, valSet: valSet, run: RunFolder(out),
                                  resume: resume, extraConfig: extra, progress: ProgressBar(enabled: !quiet && isatty(STDERR_FILENO) == 1),
                                  comm: comm)
        } catch let e as TrainingError { throw CLIError(e.description) }
        if testKillAt != nil || testSigintAt != nil {
            let (k, i) = (testKillAt, testSigintAt)
            trainer.hooks.afterIteration = { pos in
                if pos.globalIteration == k { kill(getpid(), SIGKILL) }
                if pos.globalIteration == i { kill(getpid(), SIGINT); usleep(300_000) }  // let the handler run
            }
        }
        if let n = testKillInCheckpointWrite {
            var writes = 0
            trainer.hooks.beforeCheckpointRename = { _ in writes += 1; if writes == n { kill(getpid(), SIGKILL) } }
        }
        if resume && trainer.isRoot { print("resuming \(out) at epoch \(trainer.position.epoch + 1), iteration \(trainer.position.iteration) (\(trainer.position.globalIteration) done)") }
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [stop = trainer.stop] in stop.raise() }
        source.resume()
        do {
            try trainer.train()
        } catch let e as TrainingError where e.kind == .interrupted {
            FileHandle.standardError.write(Data("attnzoo: \(e.description)\n".utf8))
            Foundation.exit(130)
        } catch let e as TrainingError {
            throw CLIError(e.description)
        }
    }
}

/// `attnzoo evaluate`: COCO evaluation of saved weights on a dataset split.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate detector weights on a COCO-format split with our COCOEval (pycocotools' numbers).",
        discussion: """
            The detector is built from --config (a run's config.json), else --model-preset, then the model options; \
            --weights must fit it exactly (torchvision keys). Prints pycocotools' summary lines for --preset; --json \
            writes both presets' stats, --results the detections. See docs/training.md.
            """)

    @Option(help: "Weights (safetensors, e.g. RUN_DIR/model.safetensors).") var weights: String
    @Option(help: "Dataset folder (COCO format).") var data: String
    @Option(help: "Split to evaluate.") var split = "val"
    @Option(help: "A run's config.json whose detector settings to use.") var config: String?
    @Option(help: "Detector settings preset when no --config: seed002 | tiny | small.") var modelPreset = "seed002"
    @OptionGroup var model: DetectorOptions
    @Option(help: "COCO summary preset printed: coco (maxDets 1,10,100) | mmdet (100,300,1000).") var preset = "coco"
    @Option(help: "Write both presets' stats as JSON here.") var json: String?
    @Option(help: "Write the detections (COCO results JSON) here.") var results: String?
    @Option(help: "Images per batch.") var batchSize = 2
    @Option(help: "Image decoding threads.") var threads = 2

    func run() throws {
        guard let cocoPreset = COCOPreset(rawValue: preset) else { throw CLIError("--preset: unknown preset '\(preset)' (known: coco, mmdet)") }
        guard batchSize >= 1 else { throw CLIError("--batch-size must be at least 1, got \(batchSize)") }
        var d: DetectorConfig
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else { throw CLIError("\(config): no such file") }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let det = object["detector"],
                  let detData = try? JSONSerialization.data(withJSONObject: det) else {
                throw CLIError("\(config): no 'detector' object (a run folder's config.json has one)")
            }
            do { d = try JSONDecoder().decode(DetectorConfig.self, from: detData) } catch {
                throw CLIError("\(config): 'detector' does not decode (\(error))")
            }
        } else {
            guard let p = TrainingPreset(rawValue: modelPreset) else {
                throw CLIError("--model-preset: unknown preset '\(modelPreset)' (known: \(TrainingPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            d = p.settings().0
        }
        try model.apply(to: &d)
        guard FileManager.default.fileExists(atPath: weights) else { throw CLIError("\(weights): no such file") }
        let ds = try loadSplit(data, split)
        if config != nil, d.numClasses != ds.categories.count + 1 {
            throw CLIError("\(ds.annotationFile): \(ds.categories.count) categories, but \(config!) has numClasses \(d.numClasses)")
        }
        d.numClasses = ds.categories.count + 1
        let detector = try model.build(d, seed: 0)
        do { try detector.load(safetensors: URL(fileURLWithPath: weights)) } catch { throw CLIError("\(error)") }
        let ev: DetectorEvaluation
        do { ev = try DetectorEvaluation.run(detector, dataset: ds, batchSize: batchSize, threads: threads) } catch {
            throw CLIError("\(error)")
        }
        print((cocoPreset == .coco ? ev.coco : ev.mmdet).summary.text, terminator: "")
        if let json {
            var object = ev.jsonObject
            object["weights"] = weights; object["split"] = split
            let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
            do { try writeAtomically(text + "\n", to: json) } catch { throw CLIError("--json: \(error)") }
        }
        if let results {
            do { try writeAtomically(ev.resultsJSON + "\n", to: results) } catch { throw CLIError("--results: \(error)") }
        }
    }
}
