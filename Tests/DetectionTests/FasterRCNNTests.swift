import Foundation
import NN
import TensorCore
import TestSupport
import Testing
@testable import Detection

@Suite("Faster R-CNN parity with torchvision")
struct FasterRCNNTests {
    @Test("state-dict keys and shapes equal torchvision's fasterrcnn_resnet50_fpn / resnet18 FPN (256, and 32 channels with a 128-wide box head)",
          arguments: ["frcnn_r50", "frcnn_r18", "frcnn_r18_trained"])
    func goldenKeys(_ name: String) throws {
        let f = try FasterRCNNFixture(name)
        let golden = (try f.fx.json("state_keys") as! [[Any]]).map { "\($0[0] as! String) \(($0[1] as! [NSNumber]).map(\.intValue))" }
        let model = try FasterRCNN(config: f.config)
        let ours = model.stateDict().map { "\($0.key) \($0.value.shape)" }
        #expect(ours == golden, "first difference: \(zip(ours, golden).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "counts \(ours.count) vs \(golden.count)")")
    }

    /// frcnn_r18_trained: torchvision's model trained 400 steps on the traffic-sign data set (body
    /// frozen, trained FPN / RPN / box head stored), on three val JPEGs.
    @Test("inference: every stage and the detections equal torchvision's", arguments: ["frcnn_r50", "frcnn_r18", "frcnn_r18_trained"])
    func inference(_ name: String) throws {
        let f = try FasterRCNNFixture(name)
        let model = try f.model()
        model.eval()
        let t = try model.trace(images: f.images)
        try f.expectSampled(t.batch.images, "batch", rtol: 1e-5, atol: 1e-5)
        let sizes = try f.fx.array("image_sizes").asInt64().map { Int($0) }
        #expect(t.batch.imageSizes.flatMap { [$0.0, $0.1] } == sizes, "resized image sizes")
        for (n, map) in t.features { try f.expectSampled(map, "feat.\(n)") }
        #expect(t.rpn.levelSizes == (try f.fx.array("anchors.per_level").asInt64().map { Int($0) }), "anchors per level")
        let anchorIdx = try f.fx.array("anchors.index").asInt64().map { Int($0) }
        expectClose(t.rpn.anchors.indexSelect(axis: 0, indices: anchorIdx), try f.fx.tensor("anchors.value"), rtol: 0, atol: 0, "anchors")
        try f.expectSampled(t.rpn.objectness, "objectness")
        // Proposals: the same boxes; rows may be permuted among equal scores (anchors over the zero
        // padding share their logits; torch's topk and sort leave the order of ties unspecified).
        var order: [Int] = [], offset = 0
        for i in 0..<f.sizes.count {
            let theirs = try f.fx.tensor("proposals.\(i)").scalars
            let perm = matchRows(theirs, t.rpn.proposals[i], tolerance: 1e-2)
            #expect(perm != nil, "image \(i): \(t.rpn.proposals[i].count / 4) proposals, torchvision \(theirs.count / 4); not the same boxes")
            guard let perm else { return }
            #expect(perm.enumerated().filter { $0 != $1 }.count <= 16, "image \(i): proposals mostly in torchvision's order")
            order += perm.map { $0 + offset }
            offset += perm.count
        }
        // Our RoIs reordered into torchvision's order.
        try f.expectSampled(t.pooled.indexSelect(axis: 0, indices: order), "roi_features")
        if f.fx.has("class_logits.shape") {  // sampled (the trained fixture)
            try f.expectSampled(t.logits.indexSelect(axis: 0, indices: order), "class_logits")
            try f.expectSampled(t.deltas.indexSelect(axis: 0, indices: order), "box_regression")
        } else {
            expectClose(t.logits.indexSelect(axis: 0, indices: order), try f.fx.tensor("class_logits"), rtol: 1e-4, atol: 1e-4, "class logits")
            expectClose(t.deltas.indexSelect(axis: 0, indices: order), try f.fx.tensor("box_regression"), rtol: 1e-4, atol: 1e-4, "box regression")
        }
        for i in 0..<f.sizes.count {
            expectSameDetections(t.detections[i], try f.detections(i), "\(name) image \(i)")
        }
        #expect(t.detections.contains { $0.count > 10 }, "the fixture exercises the postprocessing")
    }

    @Test("postprocessing of torchvision's logits, deltas and proposals gives torchvision's detections", arguments: ["frcnn_r50", "frcnn_r18"])
    func postprocess(_ name: String) throws {
        let f = try FasterRCNNFixture(name)
        let model = try FasterRCNN(config: f.config)
        let sizes = try f.fx.array("image_sizes").asInt64().map { Int($0) }
        let resized = (0..<f.sizes.count).map { (sizes[2 * $0], sizes[2 * $0 + 1]) }
        let proposals = try (0..<f.sizes.count).map { try f.fx.tensor("proposals.\($0)").scalars }
        let dets = try model.roiHeads.postprocess(logits: try f.fx.tensor("class_logits"), deltas: try f.fx.tensor("box_regression"),
                                                  proposals: proposals, imageSizes: resized)
        for i in 0..<f.sizes.count {
            let d = dets[i]
            let ours = DetectorOutput(boxes: GeneralizedRCNNTransform.resizeBoxes(d.boxes, from: resized[i], to: f.sizes[i]),
                                      scores: d.scores, labels: d.labels)
            expectSameDetections(ours, try f.detections(i), "\(name) image \(i) (postprocess only)", boxTolerance: 1e-3, scoreTolerance: 1e-6)
        }
    }
}

/// For each row of `expected` (K×4) the index of an unused row of `actual` within `tolerance`
/// (preferring the same position), or nil when the two sets of boxes differ.
func matchRows(_ expected: [Float], _ actual: [Float], tolerance: Float) -> [Int]? {
    guard expected.count == actual.count else { return nil }
    let n = expected.count / 4
    var used = [Bool](repeating: false, count: n), perm: [Int] = []
    func close(_ j: Int, _ k: Int) -> Bool { (0..<4).allSatisfy { abs(expected[4 * j + $0] - actual[4 * k + $0]) <= tolerance } }
    for j in 0..<n {
        guard let k = (!used[j] && close(j, j)) ? j : (0..<n).first(where: { !used[$0] && close(j, $0) }) else { return nil }
        used[k] = true; perm.append(k)
    }
    return perm
}

@Test("Faster R-CNN state dict: save → strict load into a fresh model gives the same detections (AZOO_EXPORT_FRCNN=PATH keeps the file for torchvision)")
func fasterRCNNStateDictRoundTrip() throws {
    let f = try FasterRCNNFixture("frcnn_r18")
    let model = try f.model()
    let url = ProcessInfo.processInfo.environment["AZOO_EXPORT_FRCNN"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("frcnn-\(UUID().uuidString).safetensors")
    defer { if ProcessInfo.processInfo.environment["AZOO_EXPORT_FRCNN"] == nil { try? FileManager.default.removeItem(at: url) } }
    try model.saveSafetensors(to: url)
    let fresh = try FasterRCNN(config: f.config)
    try fresh.load(weights: url)
    model.eval(); fresh.eval()
    let images = f.images
    let a = model.detect(images: images), b = fresh.detect(images: images)
    for i in 0..<a.count { expectSameDetections(b[i], a[i], "image \(i)", boxTolerance: 0, scoreTolerance: 0) }
    var wrong = f.config
    wrong.numClasses = 91
    #expect(throws: DetectionError("\(url.path): roi_heads.box_predictor.cls_score.weight has 6 classes (background included), the model has 91 (num classes)")) {
        try FasterRCNN(config: wrong).load(weights: url)
    }
}
