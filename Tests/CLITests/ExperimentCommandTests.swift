import Foundation
import Testing

/// `attnzoo experiment` on the stub detector (it ignores the plugins: these tests check the
/// plumbing — runs, resume, shards, merge, files — not the attention), 1 epoch of 4 iterations.
func stubExperiment(_ data: String, _ out: String, _ extra: [String] = []) -> [String] {
    ["experiment", "--data", data, "--out", out, "--detector", "stub", "--preset", "tiny", "--epochs", "1", "--batch-size", "2",
     "--min-size", "64,80", "--max-size", "128", "--modules", "none,se,eca", "--seeds", "2", "--threads", "1", "--quiet",
     "--measure-size", "64"] + extra
}

/// (module, seed) → the mmdet stats of results.json.
func runStats(_ exp: String) throws -> [String: [Double]] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exp + "/results.json"))) as! [String: Any]
    var out: [String: [Double]] = [:]
    for m in json["modules"] as! [[String: Any]] {
        for r in m["runs"] as! [[String: Any]] { out["\(r["module"]!)_seed\(r["seed"]!)"] = r["mmdet"] as? [Double] }
    }
    return out
}

@Test("attnzoo experiment (stub): every module × seed trained, results.json/csv, table, report; killed mid-run and resumed equals the uninterrupted one")
func experimentRunAndResume() throws {
    let data = try trainData()
    let full = tempURL("exp-full").path, killed = tempURL("exp-killed").path
    defer { for p in [data, full, killed] { try? FileManager.default.removeItem(atPath: p) } }
    let (rc, out, err) = try attnzoo(stubExperiment(data, full))
    #expect(rc == 0, "\(err)")
    #expect(out.contains("AP@[.5:.95] at maxDets 100") && out.contains("ΔAP [95% CI]") && out.contains("\nse ") && out.contains("\neca "))
    let stats = try runStats(full)
    #expect(Set(stats.keys) == ["none_seed0", "none_seed1", "se_seed0", "se_seed1", "eca_seed0", "eca_seed1"])
    #expect(stats.values.allSatisfy { $0.count == 12 })
    for f in ["experiment.json", "results.csv", "table.txt", "report.html", "runs/se_seed1/eval.json", "runs/se_seed1/result.json",
              "runs/se_seed1/checkpoint/checkpoint.safetensors", "runs/se_seed1/model.safetensors"] {
        #expect(FileManager.default.fileExists(atPath: full + "/" + f), "\(f)")
    }
    let tableText = try String(contentsOfFile: full + "/table.txt", encoding: .utf8)
    #expect(tableText.contains("\neca (mean of 2 seed(s)):\n Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = "))
    let csv = try String(contentsOfFile: full + "/results.csv", encoding: .utf8).split(separator: "\n")
    #expect(csv.count == 1 + 6 + 2 * 3)
    let config = try String(contentsOfFile: full + "/runs/se_seed1/config.json", encoding: .utf8)
    #expect(config.contains("se:stages=2,3,4:position=after_conv3") && config.contains("\"seed\" : 1"))

    // Killed during se_seed0 (after its 3rd iteration): none_seed* are finished, se_seed0 is half done.
    let k = try attnzooRun(stubExperiment(data, killed, ["--test-kill-at", "se_seed0:3"]))
    #expect(k.signaled)
    let doneBefore = try Data(contentsOf: URL(fileURLWithPath: killed + "/runs/none_seed1/result.json"))
    let logBefore = try Data(contentsOf: URL(fileURLWithPath: killed + "/runs/none_seed1/log.jsonl"))
    #expect(!FileManager.default.fileExists(atPath: killed + "/runs/se_seed0/result.json"))
    // Without --resume the experiment is refused, nothing touched.
    let again = try attnzoo(stubExperiment(data, killed))
    #expect(again.0 != 0 && again.2.hasPrefix("attnzoo: \(killed): already holds an experiment") && again.2.split(separator: "\n").count == 1, "\(again.2)")
    let (rc2, out2, err2) = try attnzoo(stubExperiment(data, killed, ["--resume"]))
    #expect(rc2 == 0, "\(err2)")
    #expect(out2.contains("none_seed1: finished, kept") && out2.contains("se_seed0: resuming"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: killed + "/runs/none_seed1/result.json")) == doneBefore)
    #expect(try Data(contentsOf: URL(fileURLWithPath: killed + "/runs/none_seed1/log.jsonl")) == logBefore)
    #expect(try String(contentsOfFile: killed + "/runs/se_seed0/log.jsonl", encoding: .utf8).contains("\"event\":\"resume\""))
    #expect(try runStats(killed) == stats)
    // Ctrl-C (SIGINT) during eca_seed1: one line, exit 130; --resume finishes it with the same weights.
    let interrupted = tempURL("exp-sigint").path
    defer { try? FileManager.default.removeItem(atPath: interrupted) }
    let s = try attnzooRun(stubExperiment(data, interrupted, ["--test-sigint-at", "eca_seed1:2"]))
    #expect(s.status == 130 && !s.signaled && s.err.hasPrefix("attnzoo: interrupted at iteration 2;")
            && s.err.hasSuffix("continue the experiment with --resume\n") && s.err.split(separator: "\n").count == 1, "\(s.err)")
    #expect(try attnzoo(stubExperiment(data, interrupted, ["--resume"])).0 == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: interrupted + "/runs/eca_seed1/model.safetensors"))
            == Data(contentsOf: URL(fileURLWithPath: full + "/runs/eca_seed1/model.safetensors")))
    #expect(try Data(contentsOf: URL(fileURLWithPath: killed + "/runs/se_seed0/model.safetensors"))
            == Data(contentsOf: URL(fileURLWithPath: full + "/runs/se_seed0/model.safetensors")))
}

@Test("attnzoo experiment --shard i/n into two folders, merged, equals the whole experiment; bad input is one line")
func experimentShardsAndMerge() throws {
    let data = try trainData()
    let a = tempURL("exp-a").path, b = tempURL("exp-b").path, merged = tempURL("exp-merged").path, whole = tempURL("exp-whole").path
    let other = tempURL("exp-other").path
    defer { for p in [data, a, b, merged, whole, other] { try? FileManager.default.removeItem(atPath: p) } }
    #expect(try attnzoo(stubExperiment(data, whole)).0 == 0)
    let sa = try attnzoo(stubExperiment(data, a, ["--shard", "0/2"]))
    #expect(sa.0 == 0 && sa.1.contains("3 of 6 configurations") && sa.1.contains("incomplete: 3 of 6"), "\(sa.2)")
    #expect(try attnzoo(stubExperiment(data, b, ["--shard", "1/2"])).0 == 0)
    #expect(try runStats(a).count == 3)
    let m = try attnzoo(["experiment", "merge", a, b, "--out", merged])
    #expect(m.0 == 0, "\(m.2)")
    #expect(try runStats(merged) == runStats(whole))
    #expect(FileManager.default.fileExists(atPath: merged + "/report.html"))
    // Merging into a non-empty folder is refused; merged results are not overwritten.
    let before = try Data(contentsOf: URL(fileURLWithPath: merged + "/results.json"))
    let again = try attnzoo(["experiment", "merge", a, b, "--out", merged])
    #expect(again.0 != 0 && again.2.contains("the folder is not empty"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: merged + "/results.json")) == before)
    // Another configuration (3 seeds) cannot be merged.
    #expect(try attnzoo(stubExperiment(data, other, ["--seeds", "3", "--shard", "0/9"])).0 == 0)
    let bad = try attnzoo(["experiment", "merge", a, other, "--out", tempURL("exp-never").path])
    #expect(bad.0 != 0 && bad.2.contains("experiment of another configuration") && bad.2.contains("seeds is 3 there, 2 in")
            && bad.2.split(separator: "\n").count == 1, "\(bad.2)")
    // Resuming a shard folder with another plan is refused naming the key.
    let clash = try attnzoo(stubExperiment(data, a, ["--shard", "1/2", "--epochs", "2"]))
    #expect(clash.0 != 0 && clash.2.contains("training.epochs is 1 there, 2 here"), "\(clash.2)")
    for (args, expected) in [(["--shard", "2/2"], "attnzoo: --shard: index 2 is out of range for 2 shards (0…1)"),
                             (["--shard", "x"], "attnzoo: --shard: 'x' is not i/n"),
                             (["--modules", "none,sq"], "attnzoo: --modules: unknown module 'sq' (known: none, "),
                             (["--modules", "none,bam"], "attnzoo: --modules: module 'bam' does not fit the slot: "),
                             (["--placement", "position=middle"], "attnzoo: --placement: 'position=middle': unknown position"),
                             (["--plugin", "se"], "attnzoo: --plugin: the experiment places the modules itself")] {
        let out = tempURL("exp-bad").path
        var argv = stubExperiment(data, out)
        if let i = argv.firstIndex(of: args[0]) { argv.remove(at: i + 1); argv.remove(at: i) }
        let r = try attnzoo(argv + args)
        #expect(r.0 != 0 && r.2.hasPrefix(expected) && r.2.split(separator: "\n").count == 1, "\(args): \(r.2)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing written for \(args)")
    }
}

@Test("attnzoo experiment without --data makes the traffic-sign set in the cache folder once and reuses it")
func experimentDefaultData() throws {
    let cache = tempURL("cache").path, a = tempURL("exp-d1").path, b = tempURL("exp-d2").path
    defer { for p in [cache, a, b] { try? FileManager.default.removeItem(atPath: p) } }
    func args(_ out: String) -> [String] {
        var argv = stubExperiment("", out, ["--modules", "none", "--seeds", "1", "--test-default-data", "8,4,128,96"])
        let i = argv.firstIndex(of: "--data")!; argv.removeSubrange(i...i + 1)
        let j = argv.firstIndex(of: "--modules")!; argv.removeSubrange(j...j + 1)
        return argv
    }
    let first = try attnzoo(args(a), environment: ["ATTNZOO_CACHE": cache])
    #expect(first.0 == 0 && first.1.contains("generated the traffic-sign set in \(cache)/traffic-signs-v"), "\(first.2)")
    let second = try attnzoo(args(b), environment: ["ATTNZOO_CACHE": cache])
    #expect(second.0 == 0 && !second.1.contains("generated"), "\(second.2)")
    #expect(try runStats(a) == runStats(b))
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache).count == 1)
}
