import COCOEval
import Foundation
import NN
import TensorCore
import TensorIO
import Testing
@testable import Detection

/// A generated traffic-sign set of 8 training and 4 validation images at 128×96 (in a temp folder).
func trainingDataset() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("train-\(UUID().uuidString)").path
    _ = try TrafficSignGenerator(width: 128, height: 96, seed: 3).write(to: dir, train: 8, val: 4, threads: 1)
    return dir
}

/// A stub detector config for the traffic-sign set (5 classes + background), small sizes.
func stubConfig() -> DetectorConfig {
    var d = DetectorConfig()
    d.backbone = "stub"; d.numClasses = 6; d.minSize = [64, 80]; d.maxSize = 128
    return d
}

/// Two epochs of four batches of two, momentum, warm-up over three iterations, clipping.
func smallTraining(seed: UInt64 = 5) -> TrainingConfig {
    var t = TrainingConfig()
    t.epochs = 2; t.batchSize = 2; t.lr = 0.05; t.milestones = [1]; t.warmupIterations = 3
    t.gradClipNorm = 5; t.seed = seed; t.threads = 1; t.decayNormsAndBiases = false
    return t
}

func makeTrainer(_ data: String, _ run: String, _ t: TrainingConfig, resume: Bool = false,
                 detector: (any Detector)? = nil) throws -> Trainer {
    let det = detector ?? RandomGenerator.withSeed(t.seed) { StubDetector(config: stubConfig()) }
    let trainer = try Trainer(detector: det, config: t, trainSet: COCODataset(directory: data, split: "train"),
                              valSet: COCODataset(directory: data, split: "val"), run: RunFolder(run), resume: resume,
                              progress: ProgressBar(enabled: false))
    trainer.report = { _ in }
    return trainer
}

func tempRun() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)").path }

/// Whether every state entry is bit-equal (a Bool, so a failure does not print every weight).
func sameWeights(_ a: Module, _ b: Module) -> Bool { weights(a) == weights(b) }

func weights(_ m: Module) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: m.stateDict().map { ($0.key, $0.value.scalars) })
}

@Test("Warm-up then step decay at epoch milestones (mmdetection's 1x), and cosine per iteration")
func warmupSchedules() {
    var t = TrainingConfig()   // lr 0.02, warm-up 500 from 0.001, ×0.1 at 8 and 11
    let s = WarmupSchedule(config: t, iterationsPerEpoch: 100)
    #expect(abs(s.rate(iteration: 0, epoch: 0) - 0.02 * 0.001) < 1e-9)
    #expect(abs(s.rate(iteration: 250, epoch: 2) - 0.02 * (1 - 0.999 * 0.5)) < 1e-7)
    #expect(s.rate(iteration: 500, epoch: 5) == 0.02)
    #expect(abs(s.rate(iteration: 800, epoch: 8) - 0.002) < 1e-9)
    #expect(abs(s.rate(iteration: 1100, epoch: 11) - 0.0002) < 1e-10)
    t.schedule = "cosine"; t.warmupIterations = 0; t.minLR = 0.001; t.epochs = 10
    let c = WarmupSchedule(config: t, iterationsPerEpoch: 10)
    #expect(c.rate(iteration: 0, epoch: 0) == 0.02)
    #expect(abs(c.rate(iteration: 50, epoch: 5) - 0.0105) < 1e-7)
    #expect(abs(c.rate(iteration: 100, epoch: 10) - 0.001) < 1e-7)
}

@Test("Same seed ⇒ same weights; another seed ⇒ other weights; run folder has every file")
func trainingDeterminism() throws {
    let data = try trainingDataset()
    let runs = [tempRun(), tempRun(), tempRun()]
    defer { for p in [data] + runs { try? FileManager.default.removeItem(atPath: p) } }
    let a = try makeTrainer(data, runs[0], smallTraining()), b = try makeTrainer(data, runs[1], smallTraining())
    let c = try makeTrainer(data, runs[2], smallTraining(seed: 6))
    for t in [a, b, c] { try t.train() }
    #expect(sameWeights(a.detector, b.detector) == true)
    #expect(sameWeights(a.detector, c.detector) == false)
    let before = try makeTrainer(data, tempRun(), smallTraining())
    #expect(sameWeights(before.detector, a.detector) == false, "training changed the weights")
    let r = RunFolder(runs[0])
    for f in [r.config, r.log, r.model, r.checkpoint, r.eval] { #expect(FileManager.default.fileExists(atPath: f), "\(f)") }
    // model.safetensors holds the final weights under the model's own keys.
    let file = try SafetensorsFile.read(from: URL(fileURLWithPath: r.model))
    #expect(file.names == a.detector.stateKeys)
    #expect(file["head.weight"]!.asFloat32() == weights(a.detector)["head.weight"])
    // log.jsonl: one line per iteration with the loss parts, plus start and epoch events.
    let lines = try String(contentsOfFile: r.log, encoding: .utf8).split(separator: "\n")
    let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect(objects.count == lines.count)
    #expect(objects.filter { $0["loss_classifier"] != nil && $0["loss_box_reg"] != nil && $0["lr"] != nil }.count == 8)
    #expect(objects.filter { $0["event"] as? String == "epoch" }.count == 2)
    // eval.json: both presets per epoch.
    let eval = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.eval))) as! [String: Any]
    let epochs = eval["epochs"] as! [[String: Any]]
    #expect(epochs.map { $0["epoch"] as! Int } == [1, 2])
    #expect(epochs.allSatisfy { (($0["coco"] as! [String: Any])["stats"] as! [Double]).count == 12 && ($0["mmdet"] as! [String: Any])["AR1000"] != nil })
    // config.json: every setting.
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.config))) as! [String: Any]
    #expect((config["training"] as! [String: Any])["lr"] != nil && (config["detector"] as! [String: Any])["backbone"] as? String == "stub")
}

@Test("Stopped mid-epoch (max iterations, stop flag) and resumed in a new trainer ⇒ the uninterrupted run's weights")
func resumeEqualsUninterrupted() throws {
    let data = try trainingDataset()
    let full = tempRun(), cut = tempRun()
    defer { for p in [data, full, cut] { try? FileManager.default.removeItem(atPath: p) } }
    let a = try makeTrainer(data, full, smallTraining())
    try a.train()
    var t = smallTraining(); t.maxIterations = 3
    try makeTrainer(data, cut, t).train()
    // Resume with the stop flag raised after iteration 6 (epoch 2, mid-epoch).
    let b = try makeTrainer(data, cut, smallTraining(), resume: true)
    #expect(b.position == TrainingPosition(epoch: 0, iteration: 3, globalIteration: 3))
    #expect(sameWeights(b.detector, a.detector) == false)
    b.hooks.afterIteration = { [stop = b.stop] p in if p.globalIteration == 6 { stop.raise() } }
    #expect { try b.train() } throws: { ($0 as? TrainingError)?.kind == .interrupted && "\($0)".contains("iteration 6") }
    let c = try makeTrainer(data, cut, smallTraining(), resume: true)
    #expect(c.position == TrainingPosition(epoch: 1, iteration: 2, globalIteration: 6))
    try c.train()
    #expect(sameWeights(c.detector, a.detector) == true)
    #expect(c.evaluations == a.evaluations)
}

@Test("A resume with another configuration is refused naming the key; the checkpoint is untouched")
func resumeOtherConfiguration() throws {
    let data = try trainingDataset()
    let run = tempRun()
    defer { for p in [data, run] { try? FileManager.default.removeItem(atPath: p) } }
    var t = smallTraining(); t.maxIterations = 2
    try makeTrainer(data, run, t).train()
    let before = try Data(contentsOf: URL(fileURLWithPath: RunFolder(run).checkpoint))
    var other = smallTraining(); other.lr = 0.01
    #expect { try makeTrainer(data, run, other, resume: true) } throws: { "\($0)".contains("training.lr") && "\($0)".contains("checkpoint.safetensors") }
    var d = stubConfig(); d.maxSize = 160
    #expect { try makeTrainer(data, run, smallTraining(), resume: true, detector: StubDetector(config: d)) } throws: {
        "\($0)".contains("detector.maxSize")
    }
    #expect { try makeTrainer(data, run, smallTraining()) } throws: { "\($0)".contains("already holds a run") }
    #expect { try makeTrainer(data, tempRun(), smallTraining(), resume: true) } throws: { "\($0)".contains("no such file") }
    #expect(try Data(contentsOf: URL(fileURLWithPath: RunFolder(run).checkpoint)) == before)
    // max iterations may differ on resume.
    var more = smallTraining(); more.maxIterations = 4
    let r = try makeTrainer(data, run, more, resume: true)
    try r.train()
    #expect(r.position.globalIteration == 4)
}

/// Wraps the stub and turns one loss part into NaN from call `nanAt` on.
final class NaNAfter: Module, Detector, @unchecked Sendable {
    let inner: StubDetector
    let nanAt: Int
    var calls = 0
    var config: DetectorConfig { inner.config }
    init(_ inner: StubDetector, nanAt: Int) { self.inner = inner; self.nanAt = nanAt; super.init() }
    func losses(images: [Tensor], targets: [DetectionTarget]) -> [(name: String, value: Tensor)] {
        calls += 1
        var parts = inner.losses(images: images, targets: targets)
        if calls >= nanAt { parts[1].value = parts[1].value * Tensor(scalar: .nan) }
        return parts
    }
    func detect(images: [Tensor]) -> [DetectorOutput] { inner.detect(images: images) }
}

@Test("A NaN loss stops the run with one line naming the iteration and the part; the last good checkpoint stays")
func nanLossStops() throws {
    let data = try trainingDataset()
    let run = tempRun()
    defer { for p in [data, run] { try? FileManager.default.removeItem(atPath: p) } }
    let det = NaNAfter(StubDetector(config: stubConfig()), nanAt: 6)
    let trainer = try makeTrainer(data, run, smallTraining(), detector: det)
    var line = ""
    do { try trainer.train() } catch let e as TrainingError { line = e.description; #expect(e.kind == .nonFiniteLoss) }
    #expect(line.contains("loss_box_reg is nan at iteration 6 (epoch 2, iteration 2/4)") && line.contains("kept (4 iterations done)")
            && !line.contains("\n"), "\(line)")
    // The checkpoint is the end of epoch 1 (iteration 4), and it resumes.
    let (state, _) = try Checkpoint.read(RunFolder(run).checkpoint)
    #expect(state.position == TrainingPosition(epoch: 1, iteration: 0, globalIteration: 4))
    let resumed = try makeTrainer(data, run, smallTraining(), resume: true,
                                  detector: NaNAfter(StubDetector(config: stubConfig()), nanAt: 1000))
    #expect(resumed.position.globalIteration == 4)
}

@Test("writeAtomically: the old file stays until the rename, no temporary file is left")
func atomicWrite() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/f.bin"
    try writeAtomically([1, 2, 3], to: path)
    var seen: [UInt8] = [], tmpSeen: [UInt8] = []
    try writeAtomically([4, 5], to: path) { tmp in
        seen = [UInt8](FileManager.default.contents(atPath: path)!)
        tmpSeen = [UInt8](FileManager.default.contents(atPath: tmp)!)
    }
    #expect(seen == [1, 2, 3] && tmpSeen == [4, 5])
    #expect([UInt8](FileManager.default.contents(atPath: path)!) == [4, 5])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f.bin"])
    #expect { try writeAtomically([1], to: dir + "/missing/f.bin") } throws: { "\($0)".contains("missing") }
}

/// Returns given outputs in order (the evaluation serves the split unshuffled).
final class Replay: Module, Detector, @unchecked Sendable {
    var outputs: [DetectorOutput]
    let config = DetectorConfig()
    init(_ outputs: [DetectorOutput]) { self.outputs = outputs; super.init() }
    func losses(images: [Tensor], targets: [DetectionTarget]) -> [(name: String, value: Tensor)] { [] }
    func detect(images: [Tensor]) -> [DetectorOutput] {
        defer { outputs.removeFirst(images.count) }
        return Array(outputs.prefix(images.count))
    }
}

@Test("Evaluation maps labels to category ids and boxes to xywh: the ground truth scores AP 1, shifted boxes less")
func evaluationOfOutputs() throws {
    let data = try trainingDataset()
    defer { try? FileManager.default.removeItem(atPath: data) }
    let val = try COCODataset(directory: data, split: "val")
    let truth = val.images.map { DetectorOutput(boxes: $0.boxes, scores: $0.labels.map { _ in 0.9 }, labels: $0.labels) }
    let ev = try DetectorEvaluation.run(Replay(truth), dataset: val, batchSize: 3, threads: 1)
    #expect(ev.coco.stats[0] == 1 && ev.mmdet.stats[8] == 1)
    #expect(ev.detections == val.images.reduce(0) { $0 + $1.labels.count })
    let shifted = truth.map { o in DetectorOutput(boxes: o.boxes.enumerated().map { $0.offset % 2 == 0 ? $0.element + 4 : $0.element },
                                                  scores: o.scores, labels: o.labels) }
    let worse = try DetectorEvaluation.run(Replay(shifted), dataset: val, batchSize: 2, threads: 1)
    #expect(worse.coco.stats[0] < 1)
    let ragged = truth.map { DetectorOutput(boxes: $0.boxes, scores: $0.scores + [0.5], labels: $0.labels) }
    #expect { try DetectorEvaluation.run(Replay(ragged), dataset: val) } throws: { "\($0)".contains("scores") }
    let wrong = truth.map { o in DetectorOutput(boxes: o.boxes, scores: o.scores, labels: o.labels.map { _ in 9 }) }
    #expect(wrong.contains { $0.count > 0 })
    #expect { try DetectorEvaluation.run(Replay(wrong), dataset: val) } throws: { "\($0)".contains("label 9") }
}

@Test("Precise BN before evaluation leaves the population statistics of K batches (num_batches_tracked = K)")
func preciseBNBeforeEvaluation() throws {
    let data = try trainingDataset()
    let run = tempRun()
    defer { for p in [data, run] { try? FileManager.default.removeItem(atPath: p) } }
    var t = smallTraining(); t.epochs = 1; t.preciseBNBatches = 3
    let trainer = try makeTrainer(data, run, t)
    try trainer.train()
    let tracked = trainer.detector.stateDict().first { $0.key == "bn.num_batches_tracked" }!.value.scalars
    // The stub runs BatchNorm once per batch of same-size images, else once per image: count the
    // calls Precise BN made over epoch 0's first 3 batches (training alone would count ≥ 4).
    let calls = try (0..<3).map { i -> Int in
        let b = try trainer.loader.batch(epoch: 0, iteration: i)
        return Set(b.images.map(\.shape)).count == 1 ? 1 : b.images.count
    }.reduce(0, +)
    #expect(tracked == [Float(calls)])
}

@Test("Gradient clipping scales the global norm to the limit; the progress line has every part")
func clippingAndProgressLine() throws {
    let data = try trainingDataset()
    let run = tempRun()
    defer { for p in [data, run] { try? FileManager.default.removeItem(atPath: p) } }
    let trainer = try makeTrainer(data, run, smallTraining())
    let ps = trainer.trainable.map(\.1)
    for p in ps { p.zeroGrad(); (p.value * Tensor(scalar: 3)).sum().backward() }
    func norm() -> Double { ps.reduce(0) { $0 + $1.grad!.scalars.reduce(0) { $0 + Double($1 * $1) } }.squareRoot() }
    #expect(norm() > 5)
    trainer.clipGradients(5)
    #expect(abs(norm() - 5) < 1e-3)
    let line = ProgressBar.line(epoch: 2, epochs: 12, iteration: 5, perEpoch: 10, loss: 1.5, parts: [("loss_classifier", 1), ("loss_box_reg", 0.5)],
                                imagesPerSecond: 2.5, etaSeconds: 125)
    #expect(line.contains("epoch 2/12") && line.contains("5/10") && line.contains("classifier 1.000") && line.contains("box_reg 0.500")
            && line.contains("2.50 img/s") && line.contains("ETA 2:05"))
}

@Test("Presets: seed002 scales lr 0.02 × batch/16; torchvision's constructor arguments when expressible, nil otherwise")
func presetsAndTorchvisionArguments() throws {
    let (d, t) = TrainingPreset.seed002.settings(batchSize: 4)
    #expect(d.backbone == "resnet50" && d.minSize == [800] && d.maxSize == 1333)
    #expect(t.batchSize == 4 && abs(t.lr - 0.005) < 1e-9 && t.epochs == 12 && t.milestones == [8, 11] && t.warmupIterations == 500)
    let (td, tt) = TrainingPreset.tiny.settings()
    #expect(td.backbone == "resnet18" && td.minSize == [256, 288, 320] && tt.epochs <= 12)
    try tt.validate()
    let args = try #require(torchvisionArguments(td))
    let call = args["call"] as! String
    #expect(call.contains("backbone_name='resnet18'") && call.contains("torch.nn.BatchNorm2d") && call.contains("trainable_layers=5")
            && call.contains("AnchorGenerator(sizes=((16,), (32,), (64,), (128,), (256,))"))
    #expect((args["kwargs"] as! [String: Any])["min_size"] as? [Int] == [256, 288, 320])
    #expect(torchvisionArguments(d).map { ($0["call"] as! String).contains("rpn_anchor_generator") } == false)
    var plugged = d; plugged.plugins = ["cbam"]
    var soft = d; soft.nms = "soft-linear"
    var giou = d; giou.boxLoss = "giou"
    for c in [plugged, soft, giou] { #expect(torchvisionArguments(c) == nil) }
}

@Test("The small preset (make run): narrow widths reach the model, torchvision cannot express it, configurations written before the width fields still read")
func smallPreset() throws {
    var (d, t) = TrainingPreset.small.settings()
    try t.validate()
    #expect(d.backboneBaseChannels == 16 && d.fpnChannels == 32 && d.representationSize == 256 && d.aspectRatios.count == 4)
    #expect(TrainingPreset.small.defaultDataset == (800, 200, 640, 360) && TrainingPreset.seed002.defaultDataset.train == 2226)
    #expect(torchvisionArguments(d) == nil)
    d.numClasses = 6
    let model = try RandomGenerator.withSeed(0) { try FasterRCNN(config: d) }
    let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.key, $0.value.shape) })
    #expect(shapes["backbone.body.conv1.weight"] == [16, 3, 7, 7])
    #expect(shapes["backbone.fpn.layer_blocks.0.0.weight"] == [32, 32, 3, 3])
    #expect(shapes["rpn.head.cls_logits.weight"] == [4, 32, 1, 1])
    #expect(shapes["roi_heads.box_head.fc6.weight"] == [256, 32 * 49] && shapes["roi_heads.box_predictor.cls_score.weight"] == [6, 256])
    // config.json of runs before the width and sync-bn fields: those keys absent.
    var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(DetectorConfig())) as! [String: Any]
    #expect(json["fpnChannels"] == nil)   // nil optionals are not written
    json.removeValue(forKey: "backboneBaseChannels")
    let old = try JSONDecoder().decode(DetectorConfig.self, from: JSONSerialization.data(withJSONObject: json))
    #expect(old == DetectorConfig())
    let tOld = try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(TrainingConfig()))
    #expect(tOld.syncBN == nil)
    var bad = d; bad.fpnChannels = 0
    #expect(throws: DetectionError.self) { try FasterRCNN(config: bad) }
    // The experiment's cost columns and attention map use the detector's backbone, narrow width included.
    let plan = ExperimentPlan(modules: ["none", "se"], placement: ExperimentPlan.defaultPlacement, seeds: 1, preset: "small",
                              detectorKind: "faster-rcnn", measureBackbone: d.backbone, measureSize: 64, detector: d, training: t,
                              trainImages: 0, valImages: 0, categories: [])
    let net = try plan.pluginBackbone("se")
    #expect(net.stageChannels == [16, 32, 64, 128])
    let detectorBody = Set(model.stateDict().map(\.key).filter { $0.hasPrefix("backbone.body.") }.map { String($0.dropFirst(14)) })
    #expect(Set(try plan.pluginBackbone("none").stateDict().map(\.key)) == detectorBody)
}
