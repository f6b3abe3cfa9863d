import Foundation
import NN
import TensorCore
import TestSupport
import Testing
@testable import Detection

/// A torchvision Faster R-CNN fixture (scripts/fixtures/make_faster_rcnn.py): its configuration,
/// the model with the fixture's weights, and its images.
struct FasterRCNNFixture {
    let fx: Fixture
    let settings: [String: Any]

    init(_ name: String) throws {
        fx = try Fixture(name)
        settings = try fx.json("config") as! [String: Any]
    }

    var sizes: [(Int, Int)] { (settings["sizes"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].intValue) } }

    func int(_ k: String) -> Int? { (settings[k] as? NSNumber)?.intValue }
    func float(_ k: String) -> Float? { (settings[k] as? NSNumber)?.floatValue }

    /// torchvision's constructor arguments as a `DetectorConfig`.
    var config: DetectorConfig {
        var c = DetectorConfig()
        c.backbone = settings["backbone"] as! String
        c.numClasses = int("num_classes")!
        c.minSize = [int("min_size")!]; c.maxSize = int("max_size")!
        if let v = int("rpn_pre_nms_top_n_test") { c.rpnPreNMSTopNTest = v }
        if let v = int("rpn_post_nms_top_n_test") { c.rpnPostNMSTopNTest = v }
        if let v = int("rpn_batch_size_per_image") { c.rpnBatchSizePerImage = v }
        if let v = int("box_batch_size_per_image") { c.boxBatchSizePerImage = v }
        if let v = int("box_detections_per_img") { c.boxDetectionsPerImage = v }
        if let v = float("box_score_thresh") { c.boxScoreThreshold = v }
        if let v = float("box_nms_thresh") { c.boxNMSThreshold = v }
        if let v = int("trainable_backbone_layers") { c.trainableBackboneLayers = v }
        if let v = int("fpn_channels") { c.fpnChannels = v }
        if let v = int("representation_size") { c.representationSize = v }
        if let v = settings["anchor_sizes"] as? [[NSNumber]] { c.anchorSizes = v.map { $0.map(\.intValue) } }
        if let v = settings["aspect_ratios"] as? [NSNumber] { c.aspectRatios = v.map(\.floatValue) }
        return c
    }

    /// The model of `config` with the fixture's weights: DeterministicWeights for the parameters
    /// (times the stored powers of two), det values for the FrozenBatchNorm2d affine buffers,
    /// stored running statistics; trained fixtures (make_faster_rcnn_trained.py) then overwrite
    /// every trainable parameter with its stored `w.<key>`.
    func model(_ config: DetectorConfig? = nil) throws -> FasterRCNN {
        let m = try FasterRCNN(config: config ?? self.config)
        try load(into: m)
        return m
    }

    func load(into m: FasterRCNN) throws {
        let frozen = m.namedParameters().filter { !$0.1.requiresGrad }.map(\.1)
        DeterministicWeights.fill(m)  // assign makes every parameter a leaf again
        for p in frozen { p.requiresGrad = false }
        let table = try fx.json("weight_scale_log2") as! [String: NSNumber]
        for (key, p) in m.namedParameters() where key.hasSuffix("weight") {
            if let k = table.first(where: { key.hasPrefix($0.key) })?.value.intValue {
                p.assign(p.value * Float(pow(2.0, Double(k))))
            }
        }
        for (key, b) in m.namedBuffers() {
            if key.hasSuffix("running_mean") || key.hasSuffix("running_var") {
                b.value = try fx.tensor("bn." + key)
            } else if key.hasSuffix(".weight") || key.hasSuffix(".bias") {
                b.value = Tensor(DeterministicWeights.values(key: key, shape: b.value.shape), shape: b.value.shape)
            }
        }
        try loadTrained(into: m)
    }

    /// Strict: every stored `w.<key>` is a parameter of `m` of the same shape, and every trainable
    /// parameter of `m` is stored (no-op for fixtures without `w.` keys).
    func loadTrained(into m: FasterRCNN) throws {
        let stored = fx.keys(prefix: "w.")
        guard !stored.isEmpty else { return }
        let params = Dictionary(uniqueKeysWithValues: m.namedParameters())
        for key in stored {
            let name = String(key.dropFirst(2))
            guard let p = params[name], p.requiresGrad else {
                throw DetectionError("\(fx.url.lastPathComponent): \(key) is no trainable parameter of the model")
            }
            let v = try fx.tensor(key)
            guard v.shape == p.value.shape else {
                throw DetectionError("\(fx.url.lastPathComponent): \(key) has shape \(v.shape), the model's \(p.value.shape)")
            }
            p.assign(v)
        }
        let missing = params.filter { $0.value.requiresGrad && !stored.contains("w." + $0.key) }.map(\.key).sorted()
        guard missing.isEmpty else { throw DetectionError("\(fx.url.lastPathComponent): trainable parameters not stored: \(missing)") }
    }

    /// The stored uint8 images `image.<i>` / 255 (as torchvision's input of a decoded JPEG), else
    /// `uniform("image<i>")·0.5 + 0.5`, (3, h, w).
    var images: [Tensor] {
        sizes.enumerated().map { i, s in
            if let a = try? fx.array("image.\(i)") { return Tensor(a.asFloat32().map { $0 / 255 }, shape: a.shape) }
            return Tensor(DeterministicWeights.uniform(key: "image\(i)", count: 3 * s.0 * s.1).map { $0 * 0.5 + 0.5 }, shape: [3, s.0, s.1])
        }
    }

    /// Checks the sampled entries and the norm stored under `prefix` against `actual`.
    /// `atolOfRMS`: an absolute tolerance of that fraction of the tensor's root mean square (for
    /// gradients, whose small entries are sums of cancelling terms).
    func expectSampled(_ actual: Tensor, _ prefix: String, rtol: Float = 1e-4, atol: Float = 1e-4, atolOfRMS: Float = 0,
                       normRtol: Double = 1e-4, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let shape = try fx.array(prefix + ".shape").asInt64().map { Int($0) }
        #expect(actual.shape == shape, "\(prefix) shape", sourceLocation: sourceLocation)
        guard actual.shape == shape else { return }
        let idx = try fx.array(prefix + ".index").asInt64().map { Int($0) }
        let values = actual.scalars
        let norm = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let rms = Float(norm / Double(max(values.count, 1)).squareRoot())
        expectClose(Tensor(idx.map { values[$0] }), try fx.tensor(prefix + ".value"), rtol: rtol, atol: atol + atolOfRMS * rms, prefix,
                    sourceLocation: sourceLocation)
        let expected = Double(try fx.tensor(prefix + ".norm").scalars[0])
        #expect(abs(norm - expected) <= normRtol * expected + 1e-6, "\(prefix) norm \(norm) vs \(expected)", sourceLocation: sourceLocation)
    }

    /// torchvision's detections of image i (in input pixels).
    func detections(_ i: Int) throws -> DetectorOutput {
        DetectorOutput(boxes: try fx.tensor("det.\(i).boxes").scalars, scores: try fx.tensor("det.\(i).scores").scalars,
                       labels: try fx.array("det.\(i).labels").asInt64().map { Int($0) })
    }
}

/// Same labels, boxes within `boxTolerance` px, scores within `scoreTolerance`, same order
/// except among detections whose reference scores lie within `scoreTolerance` of each other.
func expectSameDetections(_ ours: DetectorOutput, _ theirs: DetectorOutput, _ what: String, boxTolerance: Float = 1e-2,
                          scoreTolerance: Float = 1e-4, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(ours.count == theirs.count, "\(what): \(ours.count) detections, torchvision \(theirs.count)", sourceLocation: sourceLocation)
    guard ours.count == theirs.count else { return }
    var used = Set<Int>()
    for k in 0..<ours.count {
        let match = (0..<theirs.count).first { j in
            !used.contains(j) && theirs.labels[j] == ours.labels[k] && abs(theirs.scores[j] - ours.scores[k]) <= scoreTolerance
                && (0..<4).allSatisfy { abs(theirs.boxes[4 * j + $0] - ours.boxes[4 * k + $0]) <= boxTolerance }
        }
        guard let j = match else {
            Issue.record("\(what): detection \(k) (label \(ours.labels[k]), score \(ours.scores[k]), box \(Array(ours.boxes[(4 * k)..<(4 * k + 4)]))) has no torchvision counterpart; torchvision's \(k): label \(theirs.labels[k]), score \(theirs.scores[k]), box \(Array(theirs.boxes[(4 * k)..<(4 * k + 4)]))",
                         sourceLocation: sourceLocation)
            return
        }
        used.insert(j)
        #expect(j == k || abs(theirs.scores[j] - theirs.scores[k]) <= scoreTolerance,
                "\(what): detection \(k) is torchvision's \(j) although their scores are separated", sourceLocation: sourceLocation)
    }
}
