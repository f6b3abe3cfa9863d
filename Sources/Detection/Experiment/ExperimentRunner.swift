import Backbones
import COCOEval
import Foundation
import NN
import TensorCore

/// The files of an experiment folder:
/// ```
/// EXP_DIR/experiment.json          the plan (modules, placement, seeds, every setting, the data's fingerprint)
/// EXP_DIR/runs/<module>_seed<k>/   a run folder (docs/training.md) + result.json once finished
/// EXP_DIR/results.json, results.csv, table.txt, report.html
/// ```
public struct ExperimentFolder: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }
    public var plan: String { path + "/experiment.json" }
    public var runs: String { path + "/runs" }
    public func run(_ c: ExperimentConfiguration) -> RunFolder { RunFolder(runs + "/" + c.name) }
    public func result(_ c: ExperimentConfiguration) -> String { runs + "/" + c.name + "/result.json" }
    /// Written instead of result.json when the run stopped on a NaN or infinite loss (not retried).
    public func failure(_ c: ExperimentConfiguration) -> String { runs + "/" + c.name + "/failed.json" }
    public var resultsJSON: String { path + "/results.json" }
    public var resultsCSV: String { path + "/results.csv" }
    public var table: String { path + "/table.txt" }
    public var report: String { path + "/report.html" }

    /// The plan stored in `experiment.json` (nil when the folder holds none).
    public func readPlan() throws -> ExperimentPlan? {
        guard let data = FileManager.default.contents(atPath: plan) else { return nil }
        do { return try JSONDecoder().decode(ExperimentPlan.self, from: data) } catch {
            throw ExperimentError("\(plan): not an experiment plan (\(error))")
        }
    }

    /// Every failed run in the folder (`runs/*/failed.json`).
    public func readFailures() -> [FailedRun] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).sorted()
        return names.compactMap { name in
            FileManager.default.contents(atPath: runs + "/" + name + "/failed.json").flatMap { try? JSONDecoder().decode(FailedRun.self, from: $0) }
        }
    }

    /// Every finished result in the folder (`runs/*/result.json`).
    public func readResults() throws -> [RunResult] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).sorted()
        return try names.compactMap { name in
            let file = runs + "/" + name + "/result.json"
            guard let data = FileManager.default.contents(atPath: file) else { return nil }
            do { return try JSONDecoder().decode(RunResult.self, from: data) } catch {
                throw ExperimentError("\(file): not a run result (\(error))")
            }
        }
    }
}

/// Runs an experiment's configurations one after another in this process with the existing
/// ``Trainer``: a configuration with `result.json` is finished and skipped, one with a run folder
/// but no result is resumed from its checkpoint, the others are started. After each run the
/// detector is evaluated once more on the validation set (timed; PR curves, per-class AP, preview
/// detections) and `result.json` is written atomically.
public final class ExperimentRunner {
    public let plan: ExperimentPlan
    public let folder: ExperimentFolder
    public let trainSet: COCODataset
    public let valSet: COCODataset
    public let makeDetector: (DetectorConfig, UInt64) throws -> any Detector
    public var report: (String) -> Void = { print($0) }
    public var progress = ProgressBar(enabled: false)
    /// Test hook: runs after each iteration of each configuration's trainer.
    public var afterIteration: ((ExperimentConfiguration, TrainingPosition) -> Void)?
    /// The stop flag of the configuration being trained (Ctrl-C).
    public let stop = StopFlag()
    var costs: [String: (Int, Int)] = [:]

    public init(plan: ExperimentPlan, folder: ExperimentFolder, trainSet: COCODataset, valSet: COCODataset,
                makeDetector: @escaping (DetectorConfig, UInt64) throws -> any Detector) {
        self.plan = plan; self.folder = folder; self.trainSet = trainSet; self.valSet = valSet; self.makeDetector = makeDetector
    }

    /// Writes `experiment.json` for a new experiment, or checks the stored plan: without `resume`
    /// an existing experiment is refused unless this is a shard of the same plan; another plan is
    /// refused naming the first differing key. Nothing finished is touched.
    public func prepare(resume: Bool, shard: Bool) throws {
        if let stored = try folder.readPlan() {
            if let diff = stored.firstDifference(from: plan) {
                throw ExperimentError("\(folder.plan): experiment of another configuration: \(diff); choose another --out")
            }
            guard resume || shard else {
                throw ExperimentError("\(folder.path): already holds an experiment (experiment.json); pass --resume to continue it or choose another --out")
            }
        } else {
            if resume && !shard { throw ExperimentError("\(folder.plan): no such file (no experiment to resume)") }
            do { try FileManager.default.createDirectory(atPath: folder.runs, withIntermediateDirectories: true) } catch {
                throw ExperimentError("\(folder.path): cannot create the experiment folder (\(error.localizedDescription))")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            try writeAtomically(Array(try encoder.encode(plan)) + [10], to: folder.plan)
        }
        try FileManager.default.createDirectory(atPath: folder.runs, withIntermediateDirectories: true)
    }

    /// Backbone parameters and MACs of `module` at measureSize² (cached per module).
    public func cost(_ module: String) throws -> (parameters: Int, macs: Int) {
        if let c = costs[module] { return c }
        let net = try plan.pluginBackbone(module)
        let x = RandomGenerator.withSeed(0) { Tensor.randn([1, 3, plan.measureSize, plan.measureSize]) }
        let macs = ModuleSummary.measure(net, input: x).totalMACs
        let params = net.parameterCount
        costs[module] = (params, macs)
        return (params, macs)
    }

    /// Runs `configurations` (the plan's or a shard's); returns how many were trained now.
    @discardableResult
    public func run(_ configurations: [ExperimentConfiguration]) throws -> Int {
        var trained = 0
        for (n, c) in configurations.enumerated() {
            if FileManager.default.fileExists(atPath: folder.result(c)) {
                report("[\(n + 1)/\(configurations.count)] \(c.name): finished, kept")
                continue
            }
            if FileManager.default.fileExists(atPath: folder.failure(c)) {
                report("[\(n + 1)/\(configurations.count)] \(c.name): failed before (runs/\(c.name)/failed.json), not retried")
                continue
            }
            let run = folder.run(c)
            let resume = run.holdsRun && FileManager.default.fileExists(atPath: run.checkpoint)
            if run.holdsRun && !resume {
                // A config.json without a checkpoint: killed before the first checkpoint; nothing trained yet.
                try? FileManager.default.removeItem(atPath: run.config)
                try? FileManager.default.removeItem(atPath: run.log)
            }
            report("[\(n + 1)/\(configurations.count)] \(c.name): \(resume ? "resuming" : "training")")
            do {
                try runOne(c, resume: resume)
            } catch let e as TrainingError where e.kind == .nonFiniteLoss {
                // Deterministic: a retry would diverge again. Recorded, reported in the table, the others go on.
                let failed = FailedRun(module: c.module, seed: c.seed, reason: e.description)
                try writeAtomically(Array(try JSONEncoder().encode(failed)) + [10], to: folder.failure(c))
                report("  \(c.name): failed: \(e.description)")
            }
            trained += 1
        }
        return trained
    }

    func runOne(_ c: ExperimentConfiguration, resume: Bool) throws {
        let (d, t) = plan.settings(module: c.module, seed: c.seed)
        let detector = try makeDetector(d, t.seed)
        let run = folder.run(c)
        let trainer = try Trainer(detector: detector, config: t, trainSet: trainSet, valSet: valSet, run: run, resume: resume,
                                  extraConfig: ["preset": plan.preset, "experiment": folder.path, "module": c.module,
                                                "torchvision": torchvisionArguments(d) ?? NSNull()],
                                  progress: progress)
        trainer.report = { [report] in report("  \($0)") }
        // The experiment's stop flag (Ctrl-C) reaches the trainer after each iteration: it checkpoints and stops.
        let hook = afterIteration, stop = self.stop, trainerStop = trainer.stop
        trainer.hooks.afterIteration = { position in
            hook?(c, position)
            if stop.isRaised { trainerStop.raise() }
        }
        if stop.isRaised { throw TrainingError("interrupted before \(c.name) started", kind: .interrupted) }
        try trainer.train()
        if let m = t.maxIterations, trainer.position.epoch < t.epochs, trainer.position.globalIteration >= m { return }
        // The trainer evaluated the final weights after the last epoch (unless that happened before a resume).
        let ev = try trainer.finalEvaluation ?? DetectorEvaluation.run(detector, dataset: valSet, batchSize: t.evalBatchSize, threads: t.threads)
        let (params, macs) = try cost(c.module)
        let result = RunResult(
            module: c.module, seed: c.seed, mmdet: ev.mmdet.stats, coco: ev.coco.stats,
            perClassAP: ev.mmdet.perClass().map { $0.stats[0] },
            pr50: ev.mmdet.prCurves(category: nil).first { $0.iou == "0.50" }?.precision ?? [],
            prMean: ev.mmdet.prCurves(category: nil).last?.precision ?? [],
            trainSeconds: Self.trainSeconds(run.log), inferenceMsPerImage: 1000 * ev.detectSeconds / Double(max(1, valSet.images.count)),
            backboneParameters: params, backboneMACs: macs,
            detectorParameters: detector.parameterCount, detections: ev.detections,
            preview: Self.preview(ev.resultsJSON, dataset: valSet, images: 2))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try writeAtomically(Array(try encoder.encode(result)) + [10], to: folder.result(c))
        report("  \(c.name): " + String(format: "AP %.3f AP50 %.3f, %.1f s training, %.1f ms/image", result.mmdet[0], result.mmdet[1],
                      result.trainSeconds, result.inferenceMsPerImage))
    }

    /// Sum of the iteration times in log.jsonl, the last line of each global iteration only.
    static func trainSeconds(_ log: String) -> Double {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return 0 }
        var times: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["event"] == nil,
                  let g = o["global_iteration"] as? Int, let t = o["time"] as? Double else { continue }
            times[g] = t
        }
        return times.values.reduce(0, +)
    }

    /// The detections of the first `images` validation images (score order, at most 50 each).
    static func preview(_ resultsJSON: String, dataset: COCODataset, images: Int) -> [PreviewImage] {
        let all = (try? JSONSerialization.jsonObject(with: Data(resultsJSON.utf8)) as? [[String: Any]]) ?? []
        return dataset.images.prefix(images).map { img in
            let mine = all.filter { ($0["image_id"] as? Int) == img.id }
                .sorted { (($0["score"] as? Double) ?? 0) > (($1["score"] as? Double) ?? 0) }.prefix(50)
            var p = PreviewImage(imageId: img.id, boxes: [], scores: [], labels: [])
            for d in mine {
                let b = (d["bbox"] as? [Double]) ?? [0, 0, 0, 0]
                p.boxes += [Float(b[0]), Float(b[1]), Float(b[0] + b[2]), Float(b[1] + b[3])]
                p.scores.append(Float((d["score"] as? Double) ?? 0))
                let cat = (d["category_id"] as? Int) ?? 0
                p.labels.append((dataset.categories.firstIndex { $0.id == cat } ?? -1) + 1)
            }
            return p
        }
    }
}

/// Writes an experiment's outputs from its finished results.
public enum ExperimentOutput {
    /// `results.json`, `results.csv`, `table.txt` and `report.html` in `folder` (each atomically);
    /// returns the table. `sources`: experiment folders whose run weights the attention map may use.
    public static func write(plan: ExperimentPlan, results: [RunResult], failures: [FailedRun] = [], to folder: ExperimentFolder,
                             valSet: COCODataset?, sources: [ExperimentFolder]) throws -> String {
        let r = ExperimentResults(plan: plan, results: results, failures: failures)
        let table = SeedTable.render(r)
        try writeAtomically(try r.jsonText(), to: folder.resultsJSON)
        try writeAtomically(r.csvText(), to: folder.resultsCSV)
        // table.txt also holds each module's mean as the seed's twelve summary lines.
        let blocks = r.rows.map { "\n\($0.module) (mean of \($0.runs.count) seed(s)):\n" + SeedTable.seedLines($0.mean) }.joined()
        try writeAtomically(table + blocks, to: folder.table)
        let image = valSet.flatMap { $0.images.isEmpty ? nil : try? $0.loadImage(0) }
        var attention: AttentionMap?
        var note = "no plugged module has a result yet"
        if let best = r.bestModule, let image {
            let c = ExperimentConfiguration(module: best.module, seed: best.runs[0].seed)
            let weights = sources.map { $0.run(c).model }.first { FileManager.default.fileExists(atPath: $0) }
            do { attention = try AttentionMap.capture(plan: plan, module: best.module, image: image, weights: weights) } catch {
                note = "attention map of \(best.module) not available: \(error)"
            }
        } else if image == nil { note = "no validation image" }
        try writeAtomically(try ExperimentReport.html(r, image: image, attention: attention, attentionNote: note), to: folder.report)
        return table
    }
}
