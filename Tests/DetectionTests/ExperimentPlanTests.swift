import Foundation
import Testing
@testable import Detection

func experimentPlan(modules: [String] = ["none", "se", "eca"], seeds: Int = 2, placement: String = ExperimentPlan.defaultPlacement) -> ExperimentPlan {
    var t = TrainingConfig()
    t.epochs = 1
    return ExperimentPlan(modules: modules, placement: placement, seeds: seeds, preset: "tiny", detectorKind: "stub", measureBackbone: "resnet18",
                          measureSize: 64, detector: stubConfig(), training: t, trainImages: 8, valImages: 4,
                          categories: ["red_tl", "arr_s", "arr_l", "no_driving_mark_allsort", "no_parking_mark"])
}

/// A synthetic result: AP = `ap`, the other stats derived from it.
func runResult(_ module: String, _ seed: Int, ap: Double) -> RunResult {
    RunResult(module: module, seed: seed, mmdet: (0..<12).map { ap + Double($0) * 0.01 }, coco: Array(repeating: ap, count: 12),
              perClassAP: [ap, ap / 2, -1, ap, ap], pr50: (0...100).map { 1 - Double($0) / 100 * ap }, prMean: (0...100).map { 1 - Double($0) / 100 },
              trainSeconds: 10, inferenceMsPerImage: 5, backboneParameters: module == "none" ? 100 : 110, backboneMACs: 1000,
              detectorParameters: 500, detections: 3,
              preview: [PreviewImage(imageId: 1, boxes: [10, 10, 60, 50], scores: [0.9], labels: [1])])
}

@Test("plan: configurations module × seed, shards partition them, plugin specs carry the placement")
func planShards() throws {
    let plan = experimentPlan()
    #expect(plan.configurations.map(\.name) == ["none_seed0", "none_seed1", "se_seed0", "se_seed1", "eca_seed0", "eca_seed1"])
    let shards = (0..<4).map { plan.shard($0, of: 4) }
    #expect(shards.flatMap { $0 }.count == 6 && Set(shards.flatMap { $0 }) == Set(plan.configurations))
    #expect(shards[1].map(\.name) == ["none_seed1", "eca_seed1"])
    #expect(plan.pluginSpec("none") == nil)
    #expect(plan.pluginSpec("se") == "se:stages=2,3,4:position=after_conv3")
    #expect(plan.pluginSpec("se:reduction=8") == "se:stages=2,3,4:position=after_conv3:reduction=8")
    #expect(plan.settings(module: "eca", seed: 1).0.plugins == ["eca:stages=2,3,4:position=after_conv3"])
    #expect(plan.settings(module: "eca", seed: 1).1.seed == 1)
    #expect(try ExperimentPlan.parseShard("2/3") == (2, 3))
    #expect(throws: ExperimentError.self) { try ExperimentPlan.parseShard("3/3") }
    #expect(throws: ExperimentError.self) { try ExperimentPlan.parseShard("1-3") }
}

@Test("plan validation: unknown key (listed), a module refused by the slot (reason), a misfit, a bad placement")
func planValidation() throws {
    try experimentPlan(modules: ExperimentPlan.defaultModules).validate()
    func message(_ p: ExperimentPlan) -> String {
        do { try p.validate(); return "" } catch { return "\(error)" }
    }
    let unknown = message(experimentPlan(modules: ["none", "sq"]))
    #expect(unknown.hasPrefix("--modules: unknown module 'sq' (known: none, ") && unknown.contains("cbam-block"))
    let refused = message(experimentPlan(modules: ["bam"]))
    #expect(refused.hasPrefix("--modules: module 'bam' does not fit the slot:") && refused.contains("H ≤ W < 2H"), "\(refused)")
    let misfit = message(experimentPlan(modules: ["sa:G=7"]))
    #expect(misfit.hasPrefix("--modules: module 'sa:G=7' does not fit the slot:") && misfit.contains("layer2.0.after_conv3"), "\(misfit)")
    let placement = message(experimentPlan(placement: "stages=2,5"))
    #expect(placement.hasPrefix("--placement: 'stages=2,5'") && placement.contains("1–4"), "\(placement)")
    #expect(message(experimentPlan(modules: ["se", "se"])).contains("listed twice"))
    // The comparison of plans names the first differing key; the data path is not compared.
    var other = experimentPlan(); other.data = "/elsewhere"
    #expect(experimentPlan().firstDifference(from: other) == nil)
    other.seeds = 3
    #expect(other.firstDifference(from: experimentPlan()) == "seeds is 3 there, 2 here")
}

@Test("results: per-module mean/std, Δ AP paired by seed, missing configurations, CSV and the seed table")
func resultsAndTable() throws {
    let plan = experimentPlan(modules: ["none", "se", "eca"], seeds: 3)
    var rs = [runResult("none", 0, ap: 0.30), runResult("none", 1, ap: 0.31), runResult("none", 2, ap: 0.32),
              runResult("se", 0, ap: 0.35), runResult("se", 1, ap: 0.352), runResult("se", 2, ap: 0.371),
              runResult("eca", 0, ap: 0.31), runResult("eca", 1, ap: 0.30)]
    rs.shuffle()
    let r = ExperimentResults(plan: plan, results: rs)
    #expect(r.rows.map(\.module) == ["none", "se", "eca"])
    #expect(r.missing.map(\.name) == ["eca_seed2"])
    let se = r.rows[1], eca = r.rows[2]
    #expect(abs(se.mean[0] - (0.35 + 0.352 + 0.371) / 3) < 1e-12)
    #expect(abs(se.deltaAP!.mean - 0.143 / 3) < 1e-12 && se.deltaAP!.containsZero == false)
    #expect(eca.deltaAP!.n == 2 && eca.deltaAP!.containsZero == true)
    #expect(r.bestModule?.module == "se")
    let csv = r.csvText().split(separator: "\n")
    #expect(csv.count == 1 + 8 + 2 * 3)
    #expect(csv[0].hasPrefix("module,seed,AP,AP50,AP75,APs,APm,APl,AR100,AR300,AR1000,ARs,ARm,ARl,delta_AP"))
    let table = SeedTable.render(r)
    let seLine = table.split(separator: "\n").first { $0.hasPrefix("se ") }!, ecaLine = table.split(separator: "\n").first { $0.hasPrefix("eca ") }!
    #expect(seLine.contains("0.358±0.012") && seLine.contains("+0.048 [+0.035, +0.060]") && !seLine.hasSuffix("~"))
    #expect(ecaLine.contains("] ~"))
    #expect(table.contains("incomplete: 1 of 9"))
    let json = try JSONSerialization.jsonObject(with: Data(try r.jsonText().utf8)) as! [String: Any]
    #expect((json["modules"] as! [[String: Any]]).count == 3 && json["complete"] as? Bool == false)
    #expect(SeedTable.seedLines(rs[0].mmdet).split(separator: "\n").count == 12)
    #expect(SeedTable.seedLines(runResult("none", 0, ap: 0.341).mmdet).hasPrefix(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.341\n"))
}
