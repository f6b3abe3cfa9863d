import Attention
import Backbones
import Foundation
import NN
import TensorCore

/// A problem of an experiment: one line naming the argument, file or key.
public struct ExperimentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One configuration of the ablation: a module (or `none`) and a seed; its run folder is
/// `EXP_DIR/runs/<name>/`.
public struct ExperimentConfiguration: Codable, Sendable, Equatable, Hashable {
    public let module: String
    public let seed: Int
    public init(module: String, seed: Int) { self.module = module; self.seed = seed }
    /// `se_seed0`, `cbam-block_reduction-8_seed1` (`:` → `_`, `=` → `-`).
    public var name: String {
        module.replacingOccurrences(of: ":", with: "_").replacingOccurrences(of: "=", with: "-") + "_seed\(seed)"
    }
}

/// What an experiment runs (issue 17): every module of `modules` in the backbone's attention slot at
/// `placement`, each trained with the same preset settings, data and seeds 0…seeds−1. Codable: the
/// experiment folder's `experiment.json` holds it; a resume or a merge with another plan is refused.
public struct ExperimentPlan: Codable, Sendable, Equatable {
    /// `none` (the baseline) and seed 002's eight modules with its constructor forms.
    public static let defaultModules = ["none", "se", "cbam-block", "eca", "sa", "psa-p", "sge", "coord", "gam"]
    /// Stages 2–4 (layer2…layer4), after conv3 → bn3 before the residual add.
    public static let defaultPlacement = "stages=2,3,4:position=after_conv3"

    /// `none` or `KEY[:NAME=VALUE...]` (zoo key with seed arguments; placement comes from `placement`).
    public var modules: [String]
    /// `stages=…:position=…` (AttentionPlugin spec syntax without the key).
    public var placement: String
    public var seeds: Int
    public var preset: String
    /// `faster-rcnn` or `stub` (tests).
    public var detectorKind: String
    /// The backbone the cost side (parameters, MACs) and the attention map are measured on.
    public var measureBackbone: String
    /// Side of the square input of the MAC count.
    public var measureSize: Int
    public var detector: DetectorConfig
    public var training: TrainingConfig
    /// Training images and category names of the data (the dataset's fingerprint).
    public var trainImages: Int
    public var valImages: Int
    public var categories: [String]
    /// The dataset folder (not compared: shards on other machines may read it elsewhere).
    public var data = ""

    public init(modules: [String], placement: String, seeds: Int, preset: String, detectorKind: String, measureBackbone: String,
                measureSize: Int, detector: DetectorConfig, training: TrainingConfig, trainImages: Int, valImages: Int, categories: [String]) {
        self.modules = modules; self.placement = placement; self.seeds = seeds; self.preset = preset
        self.detectorKind = detectorKind; self.measureBackbone = measureBackbone; self.measureSize = measureSize
        self.detector = detector; self.training = training
        self.trainImages = trainImages; self.valImages = valImages; self.categories = categories
    }

    /// The plugin spec of `module` at the plan's placement (nil for `none`).
    public func pluginSpec(_ module: String) -> String? {
        guard module != "none" else { return nil }
        let parts = module.split(separator: ":", maxSplits: 1).map(String.init)
        return parts.count == 1 ? "\(parts[0]):\(placement)" : "\(parts[0]):\(placement):\(parts[1])"
    }

    /// Every configuration, module by module, seeds 0…seeds−1 each.
    public var configurations: [ExperimentConfiguration] {
        modules.flatMap { m in (0..<seeds).map { ExperimentConfiguration(module: m, seed: $0) } }
    }

    /// Shard `index` of `count` (0-based): every count-th configuration from `index`.
    public func shard(_ index: Int, of count: Int) -> [ExperimentConfiguration] {
        configurations.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// The detector settings of `module` and the training settings of `seed`.
    public func settings(module: String, seed: Int) -> (DetectorConfig, TrainingConfig) {
        var d = detector, t = training
        d.plugins = pluginSpec(module).map { [$0] } ?? []
        t.seed = UInt64(seed)
        return (d, t)
    }

    /// Parses `--shard i/n` (0 ≤ i < n).
    public static func parseShard(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1 else {
            throw ExperimentError("--shard: '\(text)' is not i/n (e.g. 0/4: the first of 4 shards)")
        }
        guard (0..<n).contains(i) else { throw ExperimentError("--shard: index \(i) is out of range for \(n) shards (0…\(n - 1))") }
        return (i, n)
    }

    /// Checks the module list and the placement before anything is written: unknown keys (listed),
    /// repeated modules, modules that cannot sit in the slot or do not fit the backbone's channels
    /// (the reason), a bad placement. Returns the backbone of each module's plugin (for the cost side).
    public func validate() throws {
        guard seeds >= 1 else { throw ExperimentError("--seeds must be at least 1, got \(seeds)") }
        guard !modules.isEmpty else { throw ExperimentError("--modules: no module given") }
        guard Set(modules).count == modules.count else { throw ExperimentError("--modules: a module is listed twice in \(modules.joined(separator: ","))") }
        do { _ = try AttentionPlugin(spec: "se:" + placement) } catch {
            throw ExperimentError("--placement: '\(placement)': \("\(error)".replacingOccurrences(of: "plugin spec 'se:\(placement)': ", with: ""))")
        }
        let known = AttentionKind.allCases.map(\.rawValue)
        for m in modules where m != "none" {
            let key = String(m.split(separator: ":").first ?? "")
            guard known.contains(key) else {
                throw ExperimentError("--modules: unknown module '\(key)' (known: none, \(known.joined(separator: ", ")))")
            }
            do { _ = try pluginBackbone(m) } catch {
                throw ExperimentError("--modules: module '\(m)' does not fit the slot: \(error)")
            }
        }
    }

    /// The measuring backbone (features only, the detector's norm layer, seeded initialisation) with `module`'s plugin.
    public func pluginBackbone(_ module: String, seed: UInt64 = 0) throws -> ResNet {
        let plugins = try pluginSpec(module).map { [try AttentionPlugin(spec: $0)] } ?? []
        var values = ["features_only": "true", "norm_layer": detector.normLayer]
        if let b = detector.backboneBaseChannels { values["base_channels"] = String(b) }   // the detector's width (small preset)
        return try RandomGenerator.withSeed(seed) {
            try BackboneKind.build(measureBackbone, arguments: ModuleArguments(module: measureBackbone, values: values), plugins: plugins)
        }
    }

    /// Names of the keys where `self` and `other` differ, with both values (for merge/resume refusals).
    public func firstDifference(from other: ExperimentPlan) -> String? {
        let a = planObject(self), b = planObject(other)
        for key in Set(a.keys).union(b.keys).sorted() {
            let x = Trainer.describe(a[key] ?? NSNull()), y = Trainer.describe(b[key] ?? NSNull())
            if x != y { return "\(key) is \(x) there, \(y) here" }
        }
        return nil
    }
}

/// The plan as a flat JSON object (nested configs as `detector.minSize`, …).
func planObject(_ plan: ExperimentPlan) -> [String: Any] {
    var out: [String: Any] = [:]
    for (k, v) in jsonObject(plan) where k != "data" {
        if let d = v as? [String: Any] {
            for (k2, v2) in d where !(k == "training" && TrainingConfig.resumeExempt.contains(k2)) { out["\(k).\(k2)"] = v2 }
        } else { out[k] = v }
    }
    return out
}
