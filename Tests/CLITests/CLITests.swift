import Foundation
import NN
import TensorCore
import TensorIO
import TestSupport
import Testing

/// The built `attnzoo` executable next to this test bundle (same configuration).
func attnzooURL() throws -> URL {
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
    for candidate in [bundleDir.appendingPathComponent("attnzoo"), Bundle.main.bundleURL.appendingPathComponent("attnzoo")] {
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    for config in ["release", "debug"] {
        let u = root.appendingPathComponent(".build/\(config)/attnzoo")
        if FileManager.default.isExecutableFile(atPath: u.path) { return u }
    }
    throw TensorIOError("attnzoo executable not found next to the tests; build it first")
}

/// Runs attnzoo with `args` (and `environment` added to this process's); returns (exit code, stdout, stderr).
func attnzoo(_ args: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = try attnzooURL()
    p.arguments = args
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

func tempURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)-\(name)")
}

/// The SE fixture of the zoo tests: input, PyTorch state dict and outputs.
func seFixture() throws -> Fixture {
    try Fixture(url: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AttentionTests/Fixtures/se__a.safetensors"))
}

@Test("attnzoo run reproduces PyTorch's eval output and gradients from PyTorch weights")
func runMatchesPyTorch() throws {
    let fx = try seFixture()
    let input = tempURL("x.npy"), output = tempURL("y.npy"), weights = tempURL("w.safetensors"), grads = tempURL("g.safetensors")
    defer { for u in [input, output, weights, grads] { try? FileManager.default.removeItem(at: u) } }
    try NPY.write(fx.array("input"), to: input)
    try SafetensorsFile(entries: fx.keys(prefix: "state.").map { (name: String($0.dropFirst(6)), array: fx.file[$0]!) }).write(to: weights)
    let (rc, _, err) = try attnzoo(["run", "se", "--arg", "channel=32", "--arg", "reduction=8", "--input", input.path,
                                    "--output", output.path, "--weights", weights.path, "--grads", grads.path])
    #expect(rc == 0, "stderr: \(err)")
    expectClose(Tensor(try NPY.read(from: output)), try fx.tensor("eval.output"), "CLI output")
    let g = try SafetensorsFile.read(from: grads)
    #expect(g.names.contains("input") && g.names.contains("fc.0.weight") && g.names.contains("fc.2.weight"))
}

@Test("attnzoo list names every module with its catalogue ID", arguments: [false, true])
func listModules(json: Bool) throws {
    let (rc, out, _) = try attnzoo(json ? ["list", "--json"] : ["list"])
    #expect(rc == 0)
    for key in ["se", "cbam-block", "gam"] { #expect(out.contains(key)) }
    #expect(out.contains("D01"))
    if json { #expect((try? JSONSerialization.jsonObject(with: Data(out.utf8))) is [[String: Any]]) }
}

@Test("bad input gives one readable line on stderr and a non-zero exit",
      arguments: [
        (["run", "nope", "--input", "x.npy", "--output", "y.npy"], "unknown module 'nope'"),
        (["run", "se", "--arg", "channel=abc", "--input", "x.npy", "--output", "y.npy"], "channel"),
        (["run", "se", "--arg", "chanel=4", "--input", "x.npy", "--output", "y.npy"], "chanel"),
        (["run", "se", "--input", "/nonexistent/x.npy", "--output", "y.npy"], "/nonexistent/x.npy"),
        (["summary", "se", "--shape", "2,x"], "--shape"),
      ])
func badInput(args: [String], mention: String) throws {
    let (rc, _, err) = try attnzoo(args)
    #expect(rc != 0)
    let lines = err.split(separator: "\n").filter { !$0.isEmpty }
    #expect(lines.count == 1, "stderr: \(err)")
    #expect(err.contains(mention), "stderr: \(err)")
}

@Test("a channel mismatch and a wrong weights file are named")
func mismatches() throws {
    let input = tempURL("x.npy"), weights = tempURL("w.safetensors")
    defer { for u in [input, weights] { try? FileManager.default.removeItem(at: u) } }
    try NPY.write(HostArray(float32: [Float](repeating: 0.5, count: 2 * 16 * 3 * 3), shape: [2, 16, 3, 3]), to: input)
    var (rc, _, err) = try attnzoo(["run", "se", "--arg", "channel=32", "--input", input.path, "--output", tempURL("y.npy").path])
    #expect(rc != 0 && err.contains("16") && err.contains("32"), "stderr: \(err)")
    try SafetensorsFile(entries: [(name: "fc.0.weight", array: HostArray(float32: [1], shape: [1]))]).write(to: weights)
    (rc, _, err) = try attnzoo(["run", "se", "--arg", "channel=16", "--input", input.path, "--output", tempURL("y.npy").path,
                                "--weights", weights.path])
    #expect(rc != 0 && err.contains("fc.2.weight") && err.contains(weights.lastPathComponent), "stderr: \(err)")
}

@Test("a shape the module cannot take deep inside (too small for a kernel, train-mode BatchNorm over one value per channel) is one line, not a crash",
      arguments: [
        (["bam-block"], [1, 512, 3, 3], "paper_padding"),
        (["bam", "--train"], [1, 64, 5, 5], "batch_norm"),
        (["scconv"], [1, 64, 3, 3], "avg_pool2d"),
      ])
func deepShapeErrors(args: [String], shape: [Int], mention: String) throws {
    let input = tempURL("small.npy"), output = tempURL("small-out.npy")
    defer { for u in [input, output] { try? FileManager.default.removeItem(at: u) } }
    try NPY.write(HostArray(float32: [Float](repeating: 0.25, count: shape.reduce(1, *)), shape: shape), to: input)
    let (rc, _, err) = try attnzoo(["run", args[0], "--input", input.path, "--output", output.path] + args.dropFirst())
    #expect(rc == 1, "stderr: \(err)")
    let lines = err.split(separator: "\n").filter { !$0.isEmpty }
    #expect(lines.count == 1 && err.hasPrefix("attnzoo: ") && err.contains(mention), "stderr: \(err)")
    #expect(!FileManager.default.fileExists(atPath: output.path))
}

@Test("an absurd constructor argument or a too-large legal combination is one line, not an allocation crash",
      arguments: [
        (["cbam-block", "--arg", "kernel_size=100000"], [1, 512, 7, 7], [String: String](), "kernel_size"),
        (["cbam-block", "--arg", "kernel_size=8"], [1, 512, 7, 7], [:], "odd"),
        (["se", "--arg", "reduction=0"], [1, 512, 7, 7], [:], "reduction"),
        (["gam", "--arg", "rate=0"], [1, 64, 4, 4], [:], "rate"),
        // Legal sizes whose weights (two 60000×60000 matrices) pass the memory ceiling, set low here.
        (["se", "--arg", "channel=60000", "--arg", "reduction=1"], [1, 60000, 1, 1], ["AZOO_MAX_TENSOR_BYTES": "268435456"], "memory ceiling"),
      ])
func absurdArguments(args: [String], shape: [Int], environment: [String: String], mention: String) throws {
    let input = tempURL("absurd.npy"), output = tempURL("absurd-out.npy")
    defer { for u in [input, output] { try? FileManager.default.removeItem(at: u) } }
    try NPY.write(HostArray(float32: [Float](repeating: 0.5, count: shape.reduce(1, *)), shape: shape), to: input)
    let (rc, _, err) = try attnzoo(["run", args[0], "--input", input.path, "--output", output.path] + args.dropFirst(),
                                   environment: environment)
    #expect(rc == 1, "stderr: \(err)")
    let lines = err.split(separator: "\n").filter { !$0.isEmpty }
    #expect(lines.count == 1 && err.hasPrefix("attnzoo: ") && err.contains(mention), "stderr: \(err)")
}
