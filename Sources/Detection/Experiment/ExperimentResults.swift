import Foundation

/// The result of one finished configuration, `runs/<name>/result.json` (written atomically after
/// the run: its presence marks the run finished).
public struct RunResult: Codable, Sendable, Equatable {
    public var module: String
    public var seed: Int
    /// The twelve mmdetection-layout stats (pycocotools' summarize with maxDets 100, 300, 1000):
    /// AP, AP50, AP75, APs, APm, APl, AR100, AR300, AR1000, ARs, ARm, ARl.
    public var mmdet: [Double]
    /// The twelve `coco`-preset stats (maxDets 1, 10, 100).
    public var coco: [Double]
    /// AP@[.5:.95] per category (mmdet preset; −1: no ground truth), in `categories` order.
    public var perClassAP: [Double]
    /// Mean precision over categories at the 101 recall thresholds, IoU 0.50 and 0.50:0.95.
    public var pr50: [Double]
    public var prMean: [Double]
    /// Wall seconds of the training iterations (each global iteration counted once, also when
    /// redone after an interruption); evaluation excluded.
    public var trainSeconds: Double
    /// Milliseconds per validation image in the detector's `detect` (batch of the run's eval size).
    public var inferenceMsPerImage: Double
    /// Backbone (with the plugin) parameters and MACs at measureSize², and the detector's parameters.
    public var backboneParameters: Int
    public var backboneMACs: Int
    public var detectorParameters: Int
    public var detections: Int
    /// Detections of the first validation images (x1 y1 x2 y2, score, label) for the report.
    public var preview: [PreviewImage]

    public init(module: String, seed: Int, mmdet: [Double], coco: [Double], perClassAP: [Double], pr50: [Double], prMean: [Double],
                trainSeconds: Double, inferenceMsPerImage: Double, backboneParameters: Int, backboneMACs: Int,
                detectorParameters: Int, detections: Int, preview: [PreviewImage]) {
        self.module = module; self.seed = seed; self.mmdet = mmdet; self.coco = coco; self.perClassAP = perClassAP
        self.pr50 = pr50; self.prMean = prMean; self.trainSeconds = trainSeconds; self.inferenceMsPerImage = inferenceMsPerImage
        self.backboneParameters = backboneParameters; self.backboneMACs = backboneMACs
        self.detectorParameters = detectorParameters; self.detections = detections; self.preview = preview
    }
}

/// Detections of one validation image.
public struct PreviewImage: Codable, Sendable, Equatable {
    public var imageId: Int
    public var boxes: [Float]
    public var scores: [Float]
    public var labels: [Int]
}

/// A configuration whose training stopped on a NaN or infinite loss (`runs/<name>/failed.json`).
public struct FailedRun: Codable, Sendable, Equatable {
    public var module: String
    public var seed: Int
    public var reason: String
    public init(module: String, seed: Int, reason: String) { self.module = module; self.seed = seed; self.reason = reason }
    public var name: String { ExperimentConfiguration(module: module, seed: seed).name }
}

/// The column names of the table (seed 002's mmdetection layout).
public let mmdetStatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR100", "AR300", "AR1000", "ARs", "ARm", "ARl"]

/// One module's row: per-seed results (seed order), means, standard deviations, Δ AP to the baseline.
public struct ModuleSummaryRow: Sendable {
    public let module: String
    public let runs: [RunResult]
    public var seeds: [Int] { runs.map(\.seed) }
    public var mean: [Double] { (0..<12).map { i in ExperimentStatistics.mean(runs.map { $0.mmdet[i] }) } }
    public var std: [Double] { (0..<12).map { i in ExperimentStatistics.sampleStd(runs.map { $0.mmdet[i] }) } }
    /// Δ AP@[.5:.95] versus the baseline over the seeds both have (nil for the baseline or without one).
    public let deltaAP: PairedDifference?
    public var trainSeconds: Double { ExperimentStatistics.mean(runs.map(\.trainSeconds)) }
    public var inferenceMs: Double { ExperimentStatistics.mean(runs.map(\.inferenceMsPerImage)) }
    public var parameters: Int { runs.first?.backboneParameters ?? 0 }
    public var macs: Int { runs.first?.backboneMACs ?? 0 }
}

/// Every finished result of an experiment, grouped by module in the plan's order.
public struct ExperimentResults: Sendable {
    public let plan: ExperimentPlan
    public let rows: [ModuleSummaryRow]
    /// Configurations of the plan without a result or a failure (another shard's, or not run yet).
    public let missing: [ExperimentConfiguration]
    /// Runs that stopped on a non-finite loss (no result; their module's statistics leave them out).
    public let failures: [FailedRun]

    public init(plan: ExperimentPlan, results: [RunResult], failures: [FailedRun] = []) {
        self.plan = plan
        self.failures = failures
        let baseline = results.filter { $0.module == "none" }
        var rows: [ModuleSummaryRow] = []
        for m in plan.modules {
            let runs = results.filter { $0.module == m }.sorted { $0.seed < $1.seed }
            guard !runs.isEmpty else { continue }
            var delta: PairedDifference?
            if m != "none" {
                let pairs = runs.compactMap { r in baseline.first { $0.seed == r.seed }.map { (r.mmdet[0], $0.mmdet[0]) } }
                if !pairs.isEmpty { delta = ExperimentStatistics.pairedDifference(pairs.map(\.0), pairs.map(\.1)) }
            }
            rows.append(ModuleSummaryRow(module: m, runs: runs, deltaAP: delta))
        }
        self.rows = rows
        let have = Set(results.map { ExperimentConfiguration(module: $0.module, seed: $0.seed) })
        let failed = Set(failures.map { ExperimentConfiguration(module: $0.module, seed: $0.seed) })
        missing = plan.configurations.filter { !have.contains($0) && !failed.contains($0) }
    }

    /// The module with the highest mean AP other than the baseline (nil when none has results).
    public var bestModule: ModuleSummaryRow? {
        rows.filter { $0.module != "none" }.max { $0.mean[0] < $1.mean[0] }
    }

    /// `results.json`: the plan, per module the per-seed results, mean, std and Δ AP with its interval.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        struct Row: Encodable {
            let module: String, mean: [String: Double], std: [String: Double], deltaAP: PairedDifference?
            let distinguishableFromBaseline: Bool?, backboneParameters: Int, backboneMACs: Int
            let trainSeconds: Double, inferenceMsPerImage: Double, runs: [RunResult]
        }
        struct Doc: Encodable {
            let plan: ExperimentPlan, statNames: [String], complete: Bool, missing: [String], failed: [FailedRun], modules: [Row]
        }
        let doc = Doc(plan: plan, statNames: mmdetStatNames, complete: missing.isEmpty, missing: missing.map(\.name), failed: failures,
                      modules: rows.map { r in
            Row(module: r.module, mean: Dictionary(uniqueKeysWithValues: zip(mmdetStatNames, r.mean)),
                std: Dictionary(uniqueKeysWithValues: zip(mmdetStatNames, r.std)), deltaAP: r.deltaAP,
                distinguishableFromBaseline: r.deltaAP?.containsZero.map { !$0 }, backboneParameters: r.parameters, backboneMACs: r.macs,
                trainSeconds: r.trainSeconds, inferenceMsPerImage: r.inferenceMs, runs: r.runs)
        })
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }

    /// `results.csv`: one line per seed, then per module a `mean` and a `std` line; Δ AP and its
    /// interval on the `mean` line.
    public func csvText() -> String {
        func num(_ x: Double?) -> String { guard let x, x.isFinite else { return "" }; return String(format: "%.6g", x) }
        var s = "module,seed," + mmdetStatNames.joined(separator: ",")
            + ",delta_AP,delta_AP_low,delta_AP_high,backbone_parameters,backbone_macs,train_seconds,inference_ms_per_image\n"
        for r in rows {
            for run in r.runs {
                s += "\(r.module),\(run.seed)," + run.mmdet.map { num($0) }.joined(separator: ",")
                let base = rows.first { $0.module == "none" }?.runs.first { $0.seed == run.seed }
                s += ",\(r.module == "none" ? "" : num(base.map { run.mmdet[0] - $0.mmdet[0] })),,"
                s += ",\(run.backboneParameters),\(run.backboneMACs),\(num(run.trainSeconds)),\(num(run.inferenceMsPerImage))\n"
            }
            s += "\(r.module),mean," + r.mean.map { num($0) }.joined(separator: ",")
            s += ",\(num(r.deltaAP?.mean)),\(num(r.deltaAP?.low)),\(num(r.deltaAP?.high)),\(r.parameters),\(r.macs),\(num(r.trainSeconds)),\(num(r.inferenceMs))\n"
            s += "\(r.module),std," + r.std.map { num($0) }.joined(separator: ",") + ",,,,,,,\n"
        }
        return s
    }
}
