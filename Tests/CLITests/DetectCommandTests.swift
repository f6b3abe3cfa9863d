import Foundation
import TensorCore
import TensorIO
import TestSupport
import Testing

/// The Faster R-CNN fixtures of the detection tests.
private func detectionFixture(_ name: String) throws -> Fixture {
    try Fixture(url: detectionFixtureURL(name + ".safetensors"))
}

private func detectionFixtureURL(_ file: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DetectionTests/Fixtures/\(file)")
}

/// The frcnn_r18 fixture's weights as a torchvision-keyed safetensors file, built from its golden
/// key list: DeterministicWeights values (times the stored powers of two), stored BN statistics.
private func writeR18Weights(to url: URL, dropping: String? = nil) throws {
    let fx = try detectionFixture("frcnn_r18")
    let keys = try fx.json("state_keys") as! [[Any]]
    let table = try fx.json("weight_scale_log2") as! [String: NSNumber]
    var entries: [(name: String, array: HostArray)] = []
    for entry in keys {
        let key = entry[0] as! String, shape = (entry[1] as! [NSNumber]).map(\.intValue)
        if key == dropping { continue }
        var values: [Float]
        if key.hasSuffix("running_mean") || key.hasSuffix("running_var") {
            values = try fx.tensor("bn." + key).scalars
        } else {
            values = DeterministicWeights.values(key: key, shape: shape)
            if key.hasSuffix("weight"), let k = table.first(where: { key.hasPrefix($0.key) })?.value.intValue {
                values = values.map { $0 * Float(pow(2.0, Double(k))) }
            }
        }
        entries.append((key, HostArray(float32: values, shape: shape)))
    }
    try Data(SafetensorsFile(entries: entries).serialized()).write(to: url)
}

@Test("attnzoo detect: torchvision's detections of a PNG as COCO results; --categories ids; --draw; one-line errors")
func detectCommand() throws {
    let weights = tempURL("r18.safetensors"), out = tempURL("dets.json"), drawDir = tempURL("draw")
    defer { for u in [weights, out, drawDir] { try? FileManager.default.removeItem(at: u) } }
    try writeR18Weights(to: weights)
    let png = detectionFixtureURL("frcnn_cli.png").path
    let base = ["detect", "--weights", weights.path, "--num-classes", "6", "--backbone", "resnet18", "--min-size", "128",
                "--max-size", "200", "--score-threshold", "0.1", "--nms-threshold", "0.4", "--detections", "50"]
    var (rc, stdout, err) = try attnzoo(base + ["--output", out.path, "--draw", drawDir.path, png])
    #expect(rc == 0, "\(err)")
    #expect(stdout.contains("50 detections"), "\(stdout)")
    let results = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [[String: Any]]
    let ref = try detectionFixture("frcnn_cli")
    let boxes = try ref.tensor("boxes").scalars, scores = try ref.tensor("scores").scalars
    let labels = try ref.array("labels").asInt64().map { Int($0) }
    #expect(results.count == labels.count)
    for (k, r) in results.enumerated() where k < labels.count {
        let b = (r["bbox"] as! [NSNumber]).map(\.floatValue), s = (r["score"] as! NSNumber).floatValue
        #expect(r["image_id"] as? Int == 1 && r["file_name"] as? String == "frcnn_cli.png")
        // Same order (scores of this case are separated by more than the tolerance).
        #expect(r["category_id"] as? Int == labels[k] && abs(s - scores[k]) <= 1e-4, "detection \(k): \(r) vs label \(labels[k]) score \(scores[k])")
        let expected = [boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2] - boxes[4 * k], boxes[4 * k + 3] - boxes[4 * k + 1]]
        #expect(zip(b, expected).allSatisfy { abs($0 - $1) <= 1e-2 }, "detection \(k): bbox \(b) vs \(expected)")
    }
    #expect(FileManager.default.fileExists(atPath: drawDir.path + "/frcnn_cli.png"))

    // --categories: dataset ids for the image and the labels (categories sorted by id).
    let gt = tempURL("gt.json")
    defer { try? FileManager.default.removeItem(at: gt) }
    try Data("""
        {"images": [{"id": 7, "file_name": "other.png", "width": 1, "height": 1}, {"id": 42, "file_name": "frcnn_cli.png", "width": 168, "height": 120}],
         "annotations": [], "categories": [{"id": 50, "name": "e"}, {"id": 10, "name": "a"}, {"id": 20, "name": "b"}, {"id": 30, "name": "c"}, {"id": 40, "name": "d"}]}
        """.utf8).write(to: gt)
    (rc, _, err) = try attnzoo(base + ["--categories", gt.path, "--output", out.path, png])
    #expect(rc == 0, "\(err)")
    let mapped = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [[String: Any]]
    #expect(mapped.count == labels.count)
    for (k, r) in mapped.enumerated() where k < labels.count {
        #expect(r["image_id"] as? Int == 42 && r["category_id"] as? Int == labels[k] * 10, "\(r)")
    }

    // Errors: one line, non-zero exit.
    func fails(_ args: [String], _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (rc, _, err) = try attnzoo(args)
        #expect(rc != 0 && err.hasPrefix("attnzoo: ") && err.contains(needle) && err.split(separator: "\n").count == 1,
                "\(err)", sourceLocation: sourceLocation)
    }
    var wrongClasses = base
    wrongClasses[4] = "91"
    try fails(wrongClasses + ["--output", out.path, png], "has 6 classes")
    var wrongBackbone = base
    wrongBackbone[6] = "resnet34"
    try fails(wrongBackbone + ["--output", out.path, png], "do not fit backbone 'resnet34'")
    wrongBackbone[6] = "resnet7"
    try fails(wrongBackbone + ["--output", out.path, png], "unknown backbone 'resnet7'")
    try fails(base + ["--plugin", "nosuch", "--output", out.path, png], "plugin 'nosuch'")
    try fails(base + ["--nms", "fancy", "--output", out.path, png], "--nms: unknown method 'fancy'")
    try fails(base + ["--categories", gt.path, "--output", out.path, weights.path], "no image with file_name")
    let partial = tempURL("partial.safetensors")
    defer { try? FileManager.default.removeItem(at: partial) }
    try writeR18Weights(to: partial, dropping: "rpn.head.conv.0.0.bias")
    try fails(["detect", "--weights", partial.path, "--num-classes", "6", "--backbone", "resnet18", "--output", out.path, png],
              "1 missing keys (first rpn.head.conv.0.0.bias)")
}
