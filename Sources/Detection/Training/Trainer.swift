import COCOEval
import Distributed
import Foundation
import NN
import TensorCore
import TensorIO

/// A flag another thread raises (the CLI's Ctrl-C handler) to stop the loop after the current iteration.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    public init() {}
    public func raise() { lock.lock(); raised = true; lock.unlock() }
    public var isRaised: Bool { lock.lock(); defer { lock.unlock() }; return raised }
}

/// Test hooks: what runs after each iteration and just before a checkpoint's rename.
public struct TrainerHooks {
    public var afterIteration: ((TrainingPosition) -> Void)?
    public var beforeCheckpointRename: ((String) -> Void)?
    public init() {}
}

/// The training loop (issue 16, items 4–5): SGD with momentum and weight decay (optionally none on
/// norms and biases), linear warm-up then step or cosine decay, flip + multi-scale batches from the
/// deterministic loader, optional gradient clipping, evaluation after each epoch (optional Precise
/// BN first), checkpoints that lose nothing. See docs/training.md.
///
/// Determinism: the weights after any number of iterations are a function of the seed, the data
/// and the settings. The data of `(epoch, iteration)` is the loader's pure function; the model's
/// own random draws (samplers) come from one generator whose state the checkpoint holds; weights,
/// buffers, momentum and position are restored bit for bit — so a run killed anywhere and resumed
/// ends with the weights of an uninterrupted run.
public final class Trainer {
    public let detector: any Detector
    public let config: TrainingConfig
    public let run: RunFolder
    public let trainSet: COCODataset
    public let valSet: COCODataset
    public let loader: DetectionLoader
    public let schedule: WarmupSchedule
    public let stop = StopFlag()
    public var hooks = TrainerHooks()
    public var progress: ProgressBar
    /// Receives the lines meant for the user (epoch summaries, resume and stop notes).
    public var report: (String) -> Void = { print($0) }
    public private(set) var position = TrainingPosition()
    public private(set) var evaluations: [EpochEvaluation] = []
    /// The full evaluation after the last epoch this process trained (nil before; the experiment
    /// reuses it instead of evaluating the same weights again).
    public private(set) var finalEvaluation: DetectorEvaluation?
    /// Data-parallel training over MPI (nil: one process). Each rank takes its consecutive part
    /// of every global batch; gradients are averaged in buckets overlapping backward; rank 0
    /// alone writes the run folder and evaluates. See docs/distributed.md.
    public let comm: MPICommunicator?
    /// Whether this process writes (rank 0, or the only process).
    public var isRoot: Bool { (comm?.rank ?? 0) == 0 }
    var reducer: GradientAllreducer?

    let optimizers: [SGD]
    /// Iterations done at the last checkpoint written or read.
    var checkpointIteration = 0
    let trainable: [(String, Parameter)]
    let rng: RandomGenerator
    let fingerprint: DatasetFingerprint

    /// Sets a run up. Fresh (`resume` false): the folder must not hold a run; config.json (with
    /// `extraConfig` merged in, e.g. torchvision's constructor arguments) and a checkpoint at
    /// position 0 are written. Resume: the checkpoint's configuration must equal this one (except
    /// ``TrainingConfig/resumeExempt``); weights, momentum, RNG, position and evaluations are restored.
    public init(detector: any Detector, config: TrainingConfig, trainSet: COCODataset, valSet: COCODataset,
                run: RunFolder, resume: Bool, extraConfig: [String: Any] = [:], progress: ProgressBar = ProgressBar(),
                comm: MPICommunicator? = nil) throws {
        try config.validate()
        if let comm, config.batchSize % comm.size != 0 {
            throw TrainingError("--batch-size \(config.batchSize) (the global batch) must be a multiple of the \(comm.size) MPI ranks")
        }
        self.comm = comm
        guard detector.config.numClasses == trainSet.categories.count + 1 else {
            throw TrainingError("\(trainSet.annotationFile): \(trainSet.categories.count) categories, but the detector has "
                                + "numClasses \(detector.config.numClasses) (categories + background expected)")
        }
        guard valSet.categories.map(\.name) == trainSet.categories.map(\.name) else {
            throw TrainingError("\(valSet.annotationFile): categories differ from \(trainSet.annotationFile)")
        }
        self.detector = detector; self.config = config; self.run = run
        self.trainSet = trainSet; self.valSet = valSet
        self.progress = (comm?.rank ?? 0) == 0 ? progress : ProgressBar(enabled: false)
        let dc = detector.config
        loader = try DetectionLoader(dataset: trainSet, batchSize: config.batchSize, seed: config.seed,
                                     augmentation: Augmentation(flipProbability: config.flipProbability, shorterSides: dc.minSize,
                                                                maxSize: dc.maxSize),
                                     threads: config.threads)
        schedule = WarmupSchedule(config: config, iterationsPerEpoch: loader.iterationsPerEpoch)
        trainable = detector.namedParameters().filter { $0.1.requiresGrad }
        let decay = config.decayNormsAndBiases ? trainable : trainable.filter { $0.1.shape.count > 1 }
        let noDecay = config.decayNormsAndBiases ? [] : trainable.filter { $0.1.shape.count <= 1 }
        optimizers = [decay, noDecay].enumerated().filter { !$0.element.isEmpty }.map { i, group in
            SGD(group.map(\.1), lr: config.lr, momentum: config.momentum, weightDecay: i == 0 ? config.weightDecay : 0)
        }
        rng = RandomGenerator(seed: mix(config.seed, 0x7EA1_4E55))
        fingerprint = DatasetFingerprint(trainImages: trainSet.images.count, categories: trainSet.classNames)

        if resume {
            let (state, file) = try Checkpoint.read(run.checkpoint)
            try Self.checkSame(state: state, detector: dc, training: config, dataset: fingerprint, source: run.checkpoint)
            guard state.order == loader.order(epoch: state.position.epoch) else {
                throw TrainingError("\(run.checkpoint): the data order of epoch \(state.position.epoch + 1) differs from this run's")
            }
            try Checkpoint.restore(file, source: run.checkpoint, model: detector, optimizers: optimizers, parameters: trainable)
            guard state.rngState.count == 4 else { throw TrainingError("\(run.checkpoint): rngState needs four words") }
            rng.state = state.rngState
            position = state.position
            checkpointIteration = position.globalIteration
            evaluations = state.evaluations
            log(["event": "resume", "epoch": position.epoch + 1, "iteration": position.iteration,
                           "global_iteration": position.globalIteration])
        } else {
            if isRoot && run.holdsRun {
                throw TrainingError("\(run.path): already holds a run (config.json or checkpoint/); pass --resume to continue it or choose another --out")
            }
            if isRoot { try run.create() }
            var cfg = extraConfig
            cfg["detector"] = jsonObject(dc)
            cfg["training"] = jsonObject(config)
            cfg["dataset"] = ["train": trainSet.annotationFile, "val": valSet.annotationFile,
                              "train_images": trainSet.images.count, "val_images": valSet.images.count,
                              "categories": trainSet.classNames]
            cfg["iterations_per_epoch"] = loader.iterationsPerEpoch
            if let comm { cfg["mpi_ranks"] = comm.size }
            if isRoot { try writeAtomically(try jsonText(cfg), to: run.config) }
            try saveCheckpoint()
            log(["event": "start", "epochs": config.epochs, "iterations_per_epoch": loader.iterationsPerEpoch])
        }
        if let comm {
            // Rank 0's weights and buffers everywhere (seeded initialisation agrees already; a
            // resume reads one checkpoint; this makes it hold whatever the ranks built).
            for e in detector.stateDict() { comm.broadcast(e.value.data, count: e.value.count) }
            reducer = GradientAllreducer(comm: comm, parameters: trainable.map(\.1))
            comm.barrier()
        }
    }

    /// Appends to log.jsonl (rank 0 only).
    func log(_ object: [String: Any]) { if isRoot { run.appendLog(object) } }

    /// Refuses a checkpoint written with another configuration: one line naming the key.
    static func checkSame(state: CheckpointState, detector: DetectorConfig, training: TrainingConfig,
                          dataset: DatasetFingerprint, source: String) throws {
        let pairs: [(String, [String: Any], [String: Any], Set<String>)] = [
            ("detector", jsonObject(state.detector), jsonObject(detector), []),
            ("training", jsonObject(state.training), jsonObject(training), TrainingConfig.resumeExempt),
            ("dataset", jsonObject(state.dataset), jsonObject(dataset), []),
        ]
        for (prefix, saved, now, exempt) in pairs {
            for key in Set(saved.keys).union(now.keys).sorted() where !exempt.contains(key) {
                let a = saved[key] ?? NSNull(), b = now[key] ?? NSNull()
                if describe(a) != describe(b) {
                    throw TrainingError("\(source): checkpoint of another configuration: \(prefix).\(key) is \(describe(a)) there, \(describe(b)) in this run")
                }
            }
        }
    }

    static func describe(_ v: Any) -> String {
        if v is NSNull { return "unset" }
        if let d = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: d, as: UTF8.self)
        }
        return "\(v)"
    }

    /// Writes the checkpoint of the current position, then model.safetensors (both atomically).
    func saveCheckpoint() throws {
        guard isRoot else { return }
        let state = CheckpointState(detector: detector.config, training: config, dataset: fingerprint, position: position,
                                    rngState: rng.state, order: loader.order(epoch: position.epoch), evaluations: evaluations)
        let bytes = try Checkpoint.bytes(model: detector, optimizers: optimizers, parameters: trainable, state: state)
        try writeAtomically(bytes, to: run.checkpoint, beforeRename: hooks.beforeCheckpointRename)
        checkpointIteration = position.globalIteration
        try writeAtomically(SafetensorsFile(entries: detector.stateDictArrays()).serialized(), to: run.model)
    }

    /// Trains from the current position to the last epoch (or `maxIterations`). Throws a
    /// ``TrainingError`` of kind `.nonFiniteLoss` (nothing saved after the last good checkpoint)
    /// or `.interrupted` (after checkpointing the position when the stop flag was raised).
    public func train() throws {
        if !isRoot { report = { _ in } }
        let perEpoch = loader.iterationsPerEpoch, total = config.epochs * perEpoch
        guard position.epoch < config.epochs else {
            report("\(run.path): all \(config.epochs) epochs are done; nothing to train")
            return
        }
        if let m = config.maxIterations, position.globalIteration >= m {
            report("\(run.path): \(position.globalIteration) iterations done, --max-iterations \(m) reached; nothing to train")
            return
        }
        if config.syncBN == true, let comm {
            BatchNormSync.allreduce = { comm.allreduceSum($0, count: $1) }
        }
        defer { BatchNormSync.allreduce = nil }
        detector.train()
        let batches = loader.makeIterator(epoch: position.epoch, iteration: position.iteration, epochs: config.epochs - position.epoch)
        var started = Date(), imagesSinceStart = 0
        defer { progress.finishLine() }
        while let batch = try batches.next() {
            let t0 = Date()
            let lr = schedule.rate(iteration: position.globalIteration, epoch: batch.epoch)
            for o in optimizers { o.learningRate = lr }
            for (_, p) in trainable { p.zeroGrad() }
            let (images, targets) = rankPart(batch)
            let parts = RandomGenerator.$current.withValue(rng) { detector.losses(images: images, targets: targets) }
            guard !parts.isEmpty else { throw TrainingError("the detector returned no loss parts") }
            var values: [(String, Float)] = []
            for part in parts {
                let v = part.value.item
                guard v.isFinite else {
                    progress.finishLine()
                    let line = "\(part.name) is \(v.isNaN ? "nan" : "inf") at iteration \(position.globalIteration + 1) "
                        + "(epoch \(batch.epoch + 1), iteration \(batch.iteration + 1)/\(perEpoch)); stopped, last good checkpoint "
                        + "\(run.checkpoint) kept (\(checkpointIteration) iterations done)"
                    log(["event": "non_finite_loss", "part": part.name, "global_iteration": position.globalIteration + 1,
                                   "epoch": batch.epoch + 1, "iteration": batch.iteration + 1])
                    throw TrainingError(line, kind: .nonFiniteLoss)
                }
                values.append((part.name, v))
            }
            var loss = parts[0].value
            for part in parts.dropFirst() { loss = loss + part.value }
            if let reducer { reducer.backward(loss); values = averaged(values) } else { loss.backward() }
            if let maxNorm = config.gradClipNorm { clipGradients(maxNorm) }
            for o in optimizers { o.step() }
            position.globalIteration += 1
            position.iteration = batch.iteration + 1
            let seconds = Date().timeIntervalSince(t0)
            imagesSinceStart += batch.images.count
            let rate = Double(imagesSinceStart) / max(1e-9, Date().timeIntervalSince(started))
            let remaining = Double(min(total, config.maxIterations ?? total) - position.globalIteration)
            var entry: [String: Any] = ["epoch": batch.epoch + 1, "iteration": batch.iteration + 1, "global_iteration": position.globalIteration,
                                        "lr": Double(lr), "loss": Double(values.reduce(0) { $0 + $1.1 }), "time": seconds, "img_s": rate]
            for (n, v) in values { entry[n] = Double(v) }
            if let reducer {   // the part of the gradient allreduce not hidden behind backward
                entry["allreduce_wait_s"] = reducer.lastWaitSeconds
                entry["allreduce_mb"] = Double(reducer.floatsPerStep * 4) / 1e6
            }
            log(entry)
            progress.draw(ProgressBar.line(epoch: batch.epoch + 1, epochs: config.epochs, iteration: batch.iteration + 1, perEpoch: perEpoch,
                                           loss: values.reduce(0) { $0 + $1.1 }, parts: values, imagesPerSecond: rate,
                                           etaSeconds: remaining * Double(config.batchSize) / max(rate, 1e-9)),
                          force: batch.iteration + 1 == perEpoch)
            hooks.afterIteration?(position)

            if position.iteration == perEpoch {
                position.epoch = batch.epoch + 1; position.iteration = 0
                progress.finishLine()
                try endOfEpoch(batch.epoch)
                started = Date(); imagesSinceStart = 0
            }
            if let m = config.maxIterations, position.globalIteration >= m {
                if position.iteration != 0 { try saveCheckpoint() }
                log(["event": "max_iterations", "global_iteration": position.globalIteration])
                report("stopped after \(position.globalIteration) iterations (--max-iterations \(m)); checkpoint \(run.checkpoint)")
                return
            }
            if stop.isRaised {
                progress.finishLine()
                try saveCheckpoint()
                log(["event": "interrupted", "global_iteration": position.globalIteration])
                throw TrainingError("interrupted at iteration \(position.globalIteration); checkpoint \(run.checkpoint) written, "
                                    + "continue with --resume", kind: .interrupted)
            }
        }
        log(["event": "done", "global_iteration": position.globalIteration])
    }

    /// This rank's consecutive part of the global batch (all of it in one process).
    func rankPart(_ batch: DetectionBatch) -> ([Tensor], [DetectionTarget]) {
        guard let comm else { return (batch.images, batch.targets) }
        let per = batch.images.count / comm.size, lo = comm.rank * per
        return (Array(batch.images[lo..<lo + per]), Array(batch.targets[lo..<lo + per]))
    }

    /// Loss parts averaged over the ranks (what the log and the progress bar show).
    func averaged(_ values: [(String, Float)]) -> [(String, Float)] {
        guard let comm else { return values }
        var v = values.map(\.1)
        v.withUnsafeMutableBufferPointer { comm.allreduceSum($0.baseAddress!, count: $0.count) }
        return zip(values, v).map { ($0.0, $1 / Float(comm.size)) }
    }

    /// torch's `clip_grad_norm_`: scales every gradient by max / (‖g‖₂ + 1e-6) when that is below 1.
    func clipGradients(_ maxNorm: Float) {
        var sum: Double = 0
        for (_, p) in trainable { if let g = p.grad { let d = g.data; for i in 0..<g.count { sum += Double(d[i]) * Double(d[i]) } } }
        let coef = Float(Double(maxNorm) / (sum.squareRoot() + 1e-6))
        guard coef < 1 else { return }
        for (_, p) in trainable { if let g = p.grad { let d = g.data; for i in 0..<g.count { d[i] *= coef } } }
    }

    /// Precise BN (optional), evaluation, eval.json, checkpoint, model.safetensors.
    func endOfEpoch(_ epoch: Int) throws {
        if config.preciseBNBatches > 0 {
            let k = config.preciseBNBatches, perEpoch = loader.iterationsPerEpoch
            let batches = try (0..<k).map { try loader.batch(epoch: epoch, iteration: $0 % perEpoch) }
            let generator = RandomGenerator(seed: mix(config.seed, UInt64(epoch), 0xB4))
            let model = detector
            PreciseBN.update(model, batches: (0..<k).map { Tensor(scalar: Float($0)) }) { x in
                let b = batches[Int(x.item)]
                _ = RandomGenerator.$current.withValue(generator) { model.losses(images: b.images, targets: b.targets) }
            }
        }
        // Every rank detects its share of the validation batches; rank 0 gathers, evaluates and writes.
        let evaluated = try DetectorEvaluation.run(detector, dataset: valSet, batchSize: config.evalBatchSize, threads: config.threads,
                                                   part: comm?.rank ?? 0, of: comm?.size ?? 1,
                                                   gather: { [comm] bytes in
                                                       guard let comm else { return [bytes] }
                                                       let all = comm.gather(bytes: bytes)
                                                       return comm.rank == 0 ? all : nil
                                                   }) { done, all in
            self.progress.draw("evaluating epoch \(epoch + 1): \(done)/\(all)", force: done == all)
        }
        guard let ev = evaluated else { comm?.barrier(); return }
        defer { comm?.barrier() }
        progress.finishLine()
        if epoch + 1 == config.epochs { finalEvaluation = ev }
        evaluations.removeAll { $0.epoch >= epoch + 1 }
        evaluations.append(EpochEvaluation(epoch: epoch + 1, iteration: position.globalIteration, coco: ev.coco.stats,
                                           mmdet: ev.mmdet.stats, detections: ev.detections))
        try writeEvalJSON()
        try saveCheckpoint()
        var entry = DetectorEvaluation.statsObject(coco: ev.coco.stats, mmdet: ev.mmdet.stats, detections: ev.detections)
        entry["event"] = "epoch"; entry["epoch"] = epoch + 1; entry["global_iteration"] = position.globalIteration
        log(entry)
        let s = ev.coco.stats, m = ev.mmdet.stats
        report(String(format: "epoch %d/%d: AP %.3f AP50 %.3f AP75 %.3f APs %.3f APm %.3f APl %.3f | AR@100 %.3f AR@1000 %.3f (%d detections)",
                      epoch + 1, config.epochs, s[0], s[1], s[2], s[3], s[4], s[5], m[6], m[8], ev.detections))
    }

    func writeEvalJSON() throws {
        guard isRoot else { return }
        let epochs: [[String: Any]] = evaluations.map { e in
            var d = DetectorEvaluation.statsObject(coco: e.coco, mmdet: e.mmdet, detections: e.detections)
            d["epoch"] = e.epoch; d["global_iteration"] = e.iteration
            return d
        }
        try writeAtomically(try jsonText(["epochs": epochs]), to: run.eval)
    }
}
