import Foundation
import NN
import TensorCore
import Testing
@testable import Detection

/// A detector whose loss is NaN from the first iteration.
final class DivergingDetector: Module, Detector, @unchecked Sendable {
    let config: DetectorConfig
    let w = Parameter(Tensor([1], shape: [1]))
    init(config: DetectorConfig) { self.config = config; super.init() }
    func losses(images: [Tensor], targets: [DetectionTarget]) -> [(name: String, value: Tensor)] {
        [("loss_classifier", w.value * Tensor(scalar: .nan))]
    }
    func detect(images: [Tensor]) -> [DetectorOutput] { images.map { _ in DetectorOutput(boxes: [], scores: [], labels: []) } }
}

@Test("runner: a run that diverges is recorded (failed.json), reported in the table, not retried; the others finish")
func runnerRecordsDivergence() throws {
    let data = try trainingDataset()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exp-runner-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: data); try? FileManager.default.removeItem(atPath: dir) }
    var plan = experimentPlan(modules: ["none", "se"], seeds: 1)
    plan.training = smallTraining(); plan.training.epochs = 1
    let trainSet = try COCODataset(directory: data, split: "train"), valSet = try COCODataset(directory: data, split: "val")
    let runner = ExperimentRunner(plan: plan, folder: ExperimentFolder(dir), trainSet: trainSet, valSet: valSet) { config, seed -> any Detector in
        if config.plugins.isEmpty { return RandomGenerator.withSeed(seed) { StubDetector(config: config) } }
        return DivergingDetector(config: config)
    }
    var lines: [String] = []
    runner.report = { lines.append($0) }
    try runner.prepare(resume: false, shard: false)
    #expect(try runner.run(plan.configurations) == 2)
    let folder = ExperimentFolder(dir)
    #expect(FileManager.default.fileExists(atPath: dir + "/runs/none_seed0/result.json"))
    let failures = folder.readFailures()
    #expect(failures.map(\.name) == ["se_seed0"] && failures[0].reason.hasPrefix("loss_classifier is nan at iteration 1"))
    let results = ExperimentResults(plan: plan, results: try folder.readResults(), failures: failures)
    #expect(results.missing.isEmpty && results.rows.map(\.module) == ["none"])
    #expect(SeedTable.render(results).contains("failed: se_seed0: loss_classifier is nan"))
    // A second pass keeps both: nothing is retrained.
    lines.removeAll()
    #expect(try runner.run(plan.configurations) == 0)
    #expect(lines == ["[1/2] none_seed0: finished, kept", "[2/2] se_seed0: failed before (runs/se_seed0/failed.json), not retried"])
    // The result's numbers are those of the run's last evaluation in eval.json.
    let eval = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/runs/none_seed0/eval.json"))) as! [String: Any]
    let last = ((eval["epochs"] as! [[String: Any]]).last!["mmdet"] as! [String: Any])["stats"] as! [Double]
    #expect(try folder.readResults()[0].mmdet == last)
}
