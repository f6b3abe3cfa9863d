import Foundation
import TensorCore
import TensorIO
import TestSupport
import Testing

/// A Boxes fixture (written by scripts/fixtures/make_boxes.py from torchvision and the references).
func boxFixture(_ name: String) throws -> Fixture {
    try Fixture(url: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BoxesTests/Fixtures/boxes_\(name).safetensors"))
}

/// Writes fixture entries as .npy files in a fresh folder; returns the folder.
func npyFolder(_ fx: Fixture, _ entries: [String: String]) throws -> URL {
    let dir = tempURL("boxes")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (key, file) in entries { try NPY.write(fx.array(key), to: dir.appendingPathComponent(file)) }
    return dir
}

func expectRun(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let (rc, _, err) = try attnzoo(args)
    #expect(rc == 0, "attnzoo \(args.joined(separator: " ")): \(err)", sourceLocation: sourceLocation)
}

@Test("attnzoo iou writes torchvision's pairwise and aligned matrices, in any format",
      arguments: ["iou", "giou", "diou", "ciou", "eiou"])
func iouCommand(kind: String) throws {
    let fx = try boxFixture("iou")
    let dir = try npyFolder(fx, ["b1": "a.npy", "b2": "b.npy", "b1_cxcywh": "ac.npy", "b2_cxcywh": "bc.npy"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = { dir.appendingPathComponent($0).path }
    try expectRun(["iou", "--kind", kind, "--boxes1", p("a.npy"), "--boxes2", p("b.npy"), "--output", p("pair.npy")])
    expectClose(Tensor(try NPY.read(from: URL(fileURLWithPath: p("pair.npy")))), try fx.tensor("pair_\(kind)"),
                rtol: 1e-5, atol: 1e-6, "\(kind) pairwise")
    try expectRun(["iou", "--kind", kind, "--boxes1", p("ac.npy"), "--boxes2", p("bc.npy"), "--format", "cxcywh",
                   "--output", p("pairc.npy")])
    expectClose(Tensor(try NPY.read(from: URL(fileURLWithPath: p("pairc.npy")))), try fx.tensor("pair_\(kind)"),
                rtol: 1e-4, atol: 1e-5, "\(kind) pairwise from cxcywh")
    // Aligned: the fixture pairs the first 7 boxes of b1 with b2.
    let b1 = try fx.tensor("b1")
    try NPY.write(HostArray(float32: Array(b1.scalars.prefix(28)), shape: [7, 4]), to: URL(fileURLWithPath: p("a7.npy")))
    try expectRun(["iou", "--kind", kind, "--boxes1", p("a7.npy"), "--boxes2", p("b.npy"), "--aligned", "--output", p("al.npy")])
    expectClose(Tensor(try NPY.read(from: URL(fileURLWithPath: p("al.npy")))), try fx.tensor("aligned_\(kind)"),
                rtol: 1e-5, atol: 1e-6, "\(kind) aligned")
}

@Test("attnzoo nms: greedy and class-aware keep lists equal torchvision's; soft-linear keeps and decays as mmcv",
      arguments: [("greedy", "nms_5", false), ("greedy", "batched_5", true), ("diou", "diou_5", false),
                  ("cluster", "cluster_plain_5", false), ("soft-linear", "soft_linear_5", false)])
func nmsCommand(method: String, expected: String, classAware: Bool) throws {
    let fx = try boxFixture("nms")
    let dir = try npyFolder(fx, ["boxes": "b.npy", "scores": "s.npy", "classes": "c.npy"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = { dir.appendingPathComponent($0).path }
    var args = ["nms", "--boxes", p("b.npy"), "--scores", p("s.npy"), "--iou-threshold", "0.5", "--method", method,
                "--output", p("keep.npy"), "--scores-output", p("ks.npy")]
    if classAware { args += ["--classes", p("c.npy")] }
    try expectRun(args)
    let keep = try NPY.read(from: URL(fileURLWithPath: p("keep.npy")))
    #expect(keep.dtype == .int64, "keep indices are int64")
    #expect(try keep.asInt64() == fx.array(expected).asInt64(), "\(method) keep list")
    if method == "soft-linear" {
        expectClose(Tensor(try NPY.read(from: URL(fileURLWithPath: p("ks.npy")))), try fx.tensor("\(expected).scores"),
                    rtol: 1e-5, atol: 1e-6, "soft-linear decayed scores")
    }
}

@Test("attnzoo box-loss: per-box CIoU losses (torchvision α) and the gradient of their sum")
func boxLossCommand() throws {
    let fx = try boxFixture("loss")
    let dir = try npyFolder(fx, ["pred": "p.npy", "target": "t.npy"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = { dir.appendingPathComponent($0).path }
    for (kind, extra, key) in [("ciou", ["--alpha", "torchvision"], "ciou_torchvision"), ("iou", ["--mode", "log"], "iou_log"),
                               ("giou", [], "giou")] {
        try expectRun(["box-loss", "--kind", kind] + extra + ["--pred", p("p.npy"), "--target", p("t.npy"),
                                                              "--output", p("l.npy"), "--grads", p("g.npy")])
        expectClose(Tensor(try NPY.read(from: URL(fileURLWithPath: p("l.npy")))), try fx.tensor("\(key).loss"),
                    rtol: 1e-4, atol: 1e-5, "\(key) loss")
        expectClose(Tensor(try NPY.read(from: URL(fileURLWithPath: p("g.npy")))), try fx.tensor("\(key).grad_pred"),
                    rtol: 1e-3, atol: 1e-5, "\(key) gradient")
    }
}

@Test("attnzoo draw writes an SVG with one rectangle and label per box, and a PNG")
func drawCommand() throws {
    let dir = tempURL("draw")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = { dir.appendingPathComponent($0).path }
    try NPY.write(HostArray(float32: [10, 10, 60, 50, 30, 20, 90, 70], shape: [2, 4]), to: URL(fileURLWithPath: p("b.npy")))
    try expectRun(["draw", "--boxes", p("b.npy"), "--labels", "cat", "dog", "--colors", "#ff0000", "yellow",
                   "--width", "100", "--height", "80", "--output", p("o.svg")])
    let svg = try String(contentsOfFile: p("o.svg"), encoding: .utf8)
    #expect(svg.hasPrefix("<svg") || svg.contains("<svg"))
    #expect(svg.components(separatedBy: "<rect").count - 1 >= 2, "one rectangle per box")
    #expect(svg.contains("cat") && svg.contains("dog"))
    try expectRun(["draw", "--boxes", p("b.npy"), "--width", "100", "--height", "80", "--output", p("o.png")])
    let png = try Data(contentsOf: URL(fileURLWithPath: p("o.png")))
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "PNG signature")
}

@Test("box commands: bad input gives one readable line naming the argument, non-zero exit",
      arguments: [
        (["iou", "--kind", "xiou", "--boxes1", "a.npy", "--boxes2", "b.npy", "--output", "o.npy"], "xiou"),
        (["iou", "--kind", "iou", "--boxes1", "/nonexistent/a.npy", "--boxes2", "b.npy", "--output", "o.npy"], "/nonexistent/a.npy"),
        (["nms", "--boxes", "BOXES", "--scores", "SCORES", "--iou-threshold", "1.5", "--output", "k.npy"], "iou-threshold"),
        (["nms", "--boxes", "BOXES", "--scores", "SHORT", "--iou-threshold", "0.5", "--output", "k.npy"], "scores"),
        (["iou", "--kind", "iou", "--boxes1", "BAD", "--boxes2", "BOXES", "--output", "o.npy"], "boxes1"),
        (["iou", "--kind", "iou", "--boxes1", "NAN", "--boxes2", "BOXES", "--output", "o.npy"], "boxes1"),
        (["draw", "--boxes", "BOXES", "--width", "10", "--height", "10", "--output", "x.gif"], "gif"),
        (["box-loss", "--kind", "ciou", "--alpha", "nope", "--pred", "BOXES", "--target", "BOXES", "--output", "l.npy"], "nope"),
      ])
func boxCommandErrors(args: [String], mention: String) throws {
    let dir = tempURL("bad")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let files: [String: HostArray] = [
        "BOXES": HostArray(float32: [0, 0, 1, 1, 2, 2, 3, 3], shape: [2, 4]),
        "SCORES": HostArray(float32: [0.9, 0.8], shape: [2]),
        "SHORT": HostArray(float32: [0.9], shape: [1]),
        "BAD": HostArray(float32: [0, 0, 1, 1, 2, 2], shape: [2, 3]),
        "NAN": HostArray(float32: [0, 0, .nan, 1, 2, 2, 3, 3], shape: [2, 4]),
    ]
    var resolved = args
    for (i, a) in args.enumerated() {
        if let arr = files[a] {
            let u = dir.appendingPathComponent("\(a).npy")
            try NPY.write(arr, to: u)
            resolved[i] = u.path
        } else if a.hasSuffix(".npy") || a.hasSuffix(".gif"), !a.hasPrefix("/") {
            resolved[i] = dir.appendingPathComponent(a).path
        }
    }
    let (rc, _, err) = try attnzoo(resolved)
    #expect(rc != 0, "\(args)")
    let lines = err.split(separator: "\n")
    #expect(lines.count == 1, "one line: \(err)")
    #expect(err.contains(mention), "\(err) should name \(mention)")
}

@Test("attnzoo iou reads numpy's Fortran-ordered .npy boxes (np.save of boxes[:, [1, 0, 3, 2]])")
func iouReadsFortranOrder() throws {
    let layouts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TensorIOTests/Fixtures/npy-layouts")
    let output = tempURL("iou-layouts.npy")
    defer { try? FileManager.default.removeItem(at: output) }
    // The same three boxes, F-ordered on one side and C-ordered on the other: aligned IoU 1 each.
    try expectRun(["iou", "--kind", "iou", "--boxes1", layouts.appendingPathComponent("f_boxes_permuted_f4.npy").path,
                   "--boxes2", layouts.appendingPathComponent("f_boxes_permuted_f4.c.npy").path, "--aligned", "--output", output.path])
    #expect(try NPY.read(from: output).asFloat32() == [1, 1, 1])
}
