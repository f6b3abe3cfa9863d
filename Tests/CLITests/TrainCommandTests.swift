import Foundation
import TensorIO
import Testing

/// Runs attnzoo; returns (exit status or signal, killed by a signal, stderr).
func attnzooRun(_ args: [String]) throws -> (status: Int32, signaled: Bool, err: String) {
    let p = Process()
    p.executableURL = try attnzooURL()
    p.arguments = args
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: e, as: UTF8.self))
}

/// A traffic-sign set of 8 + 4 images at 128×96 made by the CLI.
func trainData() throws -> String {
    let dir = tempURL("ts").path
    let (rc, _, err) = try attnzoo(["make-dataset", "traffic-signs", "--out", dir, "--train", "8", "--val", "4",
                                    "--width", "128", "--height", "96", "--threads", "1", "--quiet"])
    #expect(rc == 0, "\(err)")
    return dir
}

/// The hidden stub detector (docs/training.md: tests of the loop run `attnzoo train --detector stub`), 2 epochs of 4 iterations.
func stubTrain(_ data: String, _ out: String, _ extra: [String] = []) -> [String] {
    ["train", "--data", data, "--out", out, "--detector", "stub", "--preset", "tiny", "--epochs", "2", "--batch-size", "2",
     "--min-size", "64,80", "--max-size", "128", "--seed", "3", "--threads", "1", "--quiet"] + extra
}

@Test("attnzoo train killed with SIGKILL mid-epoch, or inside a checkpoint write, and resumed ends with the uninterrupted run's weights")
func trainKilledAndResumed() throws {
    let data = try trainData()
    let full = tempURL("full").path, killed = tempURL("killed").path, inWrite = tempURL("inwrite").path
    defer { for p in [data, full, killed, inWrite] { try? FileManager.default.removeItem(atPath: p) } }
    let a = try attnzooRun(stubTrain(data, full))
    #expect(a.status == 0 && !a.signaled, "\(a.err)")
    // Killed after global iteration 6 (epoch 2, iteration 2 of 4): the checkpoint is the end of epoch 1.
    let k = try attnzooRun(stubTrain(data, killed, ["--test-kill-at", "6"]))
    #expect(k.signaled && k.status == SIGKILL)
    let log = try String(contentsOfFile: killed + "/log.jsonl", encoding: .utf8)
    #expect(log.contains("\"global_iteration\":6,") && !log.contains("\"global_iteration\":7,"))
    let r = try attnzooRun(stubTrain(data, killed, ["--resume"]))
    #expect(r.status == 0 && !r.signaled, "\(r.err)")
    // Killed inside the second checkpoint write (end of epoch 1) after the temporary file was written:
    // the first checkpoint (position 0) stays readable and the resumed run still ends equal.
    let w = try attnzooRun(stubTrain(data, inWrite, ["--test-kill-in-checkpoint-write", "2"]))
    #expect(w.signaled && w.status == SIGKILL)
    let files = try FileManager.default.contentsOfDirectory(atPath: inWrite + "/checkpoint")
    #expect(files.contains("checkpoint.safetensors") && files.contains { $0.hasPrefix(".checkpoint.safetensors.tmp-") })
    let r2 = try attnzooRun(stubTrain(data, inWrite, ["--resume"]))
    #expect(r2.status == 0, "\(r2.err)")
    // Ctrl-C (SIGINT) after iteration 3: one line, exit 130, a checkpoint of the position; resumed, equal again.
    let interrupted = tempURL("sigint").path
    defer { try? FileManager.default.removeItem(atPath: interrupted) }
    let s = try attnzooRun(stubTrain(data, interrupted, ["--test-sigint-at", "3"]))
    #expect(s.status == 130 && !s.signaled && s.err.hasPrefix("attnzoo: interrupted at iteration") && s.err.split(separator: "\n").count == 1, "\(s.err)")
    #expect(try String(contentsOfFile: interrupted + "/log.jsonl", encoding: .utf8).contains("\"event\":\"interrupted\""))
    let s2 = try attnzooRun(stubTrain(data, interrupted, ["--resume"]))
    #expect(s2.status == 0, "\(s2.err)")
    // Killed in the first epoch: the resume starts from the checkpoint written at the start.
    let early = tempURL("early").path
    defer { try? FileManager.default.removeItem(atPath: early) }
    #expect(try attnzooRun(stubTrain(data, early, ["--test-kill-at", "2"])).signaled)
    #expect(try attnzooRun(stubTrain(data, early, ["--resume"])).status == 0)
    let reference = try Data(contentsOf: URL(fileURLWithPath: full + "/model.safetensors"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: early + "/model.safetensors")) == reference)
    #expect(try Data(contentsOf: URL(fileURLWithPath: interrupted + "/model.safetensors")) == reference)
    #expect(try Data(contentsOf: URL(fileURLWithPath: killed + "/model.safetensors")) == reference)
    #expect(try Data(contentsOf: URL(fileURLWithPath: inWrite + "/model.safetensors")) == reference)
    let eval = try Data(contentsOf: URL(fileURLWithPath: full + "/eval.json"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: killed + "/eval.json")) == eval)
    // A different seed gives other weights (the equality above is not vacuous).
    let other = tempURL("other").path
    defer { try? FileManager.default.removeItem(atPath: other) }
    var args = stubTrain(data, other); args[args.firstIndex(of: "--seed")! + 1] = "4"
    #expect(try attnzooRun(args).status == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: other + "/model.safetensors")) != reference)

    // evaluate: the run's weights and config.json give the last epoch's numbers.
    let json = tempURL("eval.json").path
    defer { try? FileManager.default.removeItem(atPath: json) }
    let (rc, out, err) = try attnzoo(["evaluate", "--weights", full + "/model.safetensors", "--data", data, "--config", full + "/config.json",
                                      "--detector", "stub", "--preset", "mmdet", "--json", json])
    #expect(rc == 0, "\(err)")
    #expect(out.contains("Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=1000 ]"))
    let ours = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
    let runEval = try JSONSerialization.jsonObject(with: eval) as! [String: Any]
    let last = (runEval["epochs"] as! [[String: Any]]).last!
    #expect((ours["coco"] as! [String: Any])["stats"] as! [Double] == (last["coco"] as! [String: Any])["stats"] as! [Double])
}

@Test("attnzoo train/evaluate: bad input is one line naming the argument or file, non-zero exit, nothing written",
      arguments: [
        (["--backbone", "resnet7"], "--backbone: unknown backbone 'resnet7'"),
        (["--plugin", "nope"], "--plugin: plugin spec 'nope'"),
        (["--box-loss", "l3"], "--box-loss: unknown box loss 'l3'"),
        (["--nms", "fast"], "--nms: unknown NMS 'fast'"),
        (["--preset", "huge"], "--preset: unknown preset 'huge'"),
        (["--min-size", "64,x"], "--min-size"),
        (["--epochs", "0"], "--epochs"),
        (["--schedule", "linear"], "--schedule"),
        (["--base-channels", "2"], "--base-channels must be within 4…1024, got 2"),
        (["--fpn-channels", "0"], "--fpn-channels"),
        (["--representation-size", "-5"], "--representation-size"),
        (["--anchor-sizes", "16,32"], "--anchor-sizes: '16,32' is not 5 integers"),
        (["--aspect-ratios", "0.5,x"], "--aspect-ratios"),
        (["--bogus"], "--bogus"),
      ])
func trainBadOptions(extra: [String], mention: String) throws {
    let out = tempURL("bad").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let (rc, _, err) = try attnzoo(["train", "--data", "/nonexistent/data", "--out", out] + extra)
    #expect(rc != 0)
    #expect(err.hasPrefix("attnzoo: ") && err.contains(mention) && err.split(separator: "\n").count == 1, "\(err)")
    #expect(!FileManager.default.fileExists(atPath: out))
}

@Test("attnzoo train: missing or malformed data, unknown backbone or unfitting plugin, resume of another configuration — one line each, the run kept")
func trainBadRuns() throws {
    let data = try trainData()
    let run = tempURL("run").path
    defer { for p in [data, run] { try? FileManager.default.removeItem(atPath: p) } }
    func expectLine(_ args: [String], _ mention: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (rc, _, err) = try attnzoo(args)
        #expect(rc != 0, sourceLocation: sourceLocation)
        #expect(err.hasPrefix("attnzoo: ") && err.contains(mention) && err.split(separator: "\n").count == 1, "\(err)", sourceLocation: sourceLocation)
    }
    try expectLine(["train", "--data", "/nonexistent/data", "--out", run, "--detector", "stub"], "/nonexistent/data/annotations/instances_train.json")
    try expectLine(["train", "--data", data, "--out", run, "--backbone", "resnet99"], "unknown backbone 'resnet99'")
    try expectLine(["train", "--data", data, "--out", run, "--plugin", "psanet"], "doubles the channels")
    #expect(!FileManager.default.fileExists(atPath: run))
    try expectLine(["train", "--data", data, "--out", run, "--resume", "--detector", "stub"], "no such file")
    #expect(try attnzooRun(stubTrain(data, run, ["--max-iterations", "2"])).status == 0)
    let checkpoint = try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoint/checkpoint.safetensors"))
    try expectLine(stubTrain(data, run, ["--resume", "--lr", "0.5"]), "training.lr")
    try expectLine(stubTrain(data, run, ["--resume", "--min-size", "64"]), "detector.minSize")
    try expectLine(stubTrain(data, run), "already holds a run")
    #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoint/checkpoint.safetensors")) == checkpoint)
    // Malformed annotation JSON names the file and the position.
    let json = data + "/annotations/instances_val.json"
    let text = try String(contentsOfFile: json, encoding: .utf8)
    try (text.dropLast(3) + ",]}").write(toFile: json, atomically: true, encoding: .utf8)
    try expectLine(stubTrain(data, tempURL("r2").path), "instances_val.json")
    // evaluate
    try expectLine(["evaluate", "--weights", "/nonexistent/w.safetensors", "--data", data], "/nonexistent/w.safetensors")
    try expectLine(["evaluate", "--weights", run + "/model.safetensors", "--data", data, "--preset", "voc"], "--preset: unknown preset 'voc'")
}
