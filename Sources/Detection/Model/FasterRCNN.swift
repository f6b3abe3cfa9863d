import Attention
import Backbones
import Boxes
import Foundation
import NN
import TensorCore
import TensorIO

/// Faster R-CNN with a ResNet-FPN backbone (Ren et al. 2015; Lin et al. 2017), torchvision's
/// `fasterrcnn_resnet50_fpn` (v1) for any backbone of `BackboneKind` and any attention plugin:
/// `GeneralizedRCNNTransform` → `BackboneWithFPN` → `RegionProposalNetwork` (`RPNHead`,
/// `AnchorGenerator`) → `RoIHeads` (`MultiScaleRoIAlign`, `TwoMLPHead`, `FastRCNNPredictor`)
/// → boxes mapped back to the input images.
/// State-dict keys: torchvision's (`backbone.body.*`, `backbone.fpn.*`, `rpn.head.*`,
/// `roi_heads.box_head.*`, `roi_heads.box_predictor.*`), so torchvision checkpoints load strictly.
/// Options beyond torchvision: `DetectorConfig.boxLoss` (`BoxRegressionLoss`) and `nms` (the
/// Boxes NMS family, for the RPN and the postprocessing).
public final class FasterRCNN: Module, Detector, @unchecked Sendable {
    public let backbone: BackboneWithFPN
    public let rpn: RegionProposalNetwork
    public let roiHeads: RoIHeads
    public let config: DetectorConfig
    public let transform: GeneralizedRCNNTransform

    public override class var stateKeyOverrides: [String: String] { ["roiHeads": "roi_heads"] }

    public init(config c: DetectorConfig) throws {
        guard c.numClasses >= 2 else { throw DetectionError("numClasses: expected ≥ 2 (background included), got \(c.numClasses)") }
        guard let nms = NMSMethod(rawValue: c.nms) else {
            throw DetectionError("nms: unknown NMS '\(c.nms)' (known: \(NMSMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let boxLoss = try BoxRegressionLoss(name: c.boxLoss)
        guard ["FrozenBatchNorm2d", "BatchNorm2d"].contains(c.normLayer) else {
            throw DetectionError("normLayer: unknown norm layer '\(c.normLayer)' (known: FrozenBatchNorm2d, BatchNorm2d)")
        }
        guard (0...5).contains(c.trainableBackboneLayers) else {
            throw DetectionError("trainableBackboneLayers: expected 0…5, got \(c.trainableBackboneLayers)")
        }
        let plugins = try c.plugins.map { spec in
            do { return try AttentionPlugin(spec: spec) } catch { throw DetectionError("plugin '\(spec)': \(error)") }
        }
        let body: ResNet
        do {
            var arguments = ["norm_layer": c.normLayer, "features_only": "true", "trainable_layers": String(c.trainableBackboneLayers)]
            if let b = c.backboneBaseChannels { arguments["base_channels"] = String(b) }
            body = try BackboneKind.build(c.backbone, arguments: ModuleArguments(module: c.backbone, values: arguments), plugins: plugins)
        } catch { throw DetectionError("backbone: \(error)") }
        let fpnChannels = c.fpnChannels ?? 256, representation = c.representationSize ?? 1024
        guard (1...4096).contains(fpnChannels), (1...16384).contains(representation) else {
            throw DetectionError("fpnChannels / representationSize: expected 1…4096 / 1…16384, got \(fpnChannels) / \(representation)")
        }
        backbone = BackboneWithFPN(body: body, outChannels: fpnChannels)
        let generator = try AnchorGenerator(sizes: c.anchorSizes.map { $0.map(Float.init) }, aspectRatios: [c.aspectRatios])
        guard generator.cellAnchors.count == backbone.featureNames.count else {
            throw DetectionError("anchorSizes: \(c.anchorSizes.count) levels for the \(backbone.featureNames.count) FPN maps")
        }
        guard Set(generator.anchorsPerLocation).count == 1 else {
            throw DetectionError("anchorSizes: every level needs the same number of anchors, got \(generator.anchorsPerLocation)")
        }
        var rs = RegionProposalNetwork.Settings()
        rs.fgIoU = c.rpnFgIoU; rs.bgIoU = c.rpnBgIoU; rs.batchSizePerImage = c.rpnBatchSizePerImage
        rs.positiveFraction = c.rpnPositiveFraction
        rs.preNMSTopN = (c.rpnPreNMSTopNTrain, c.rpnPreNMSTopNTest); rs.postNMSTopN = (c.rpnPostNMSTopNTrain, c.rpnPostNMSTopNTest)
        rs.nmsThreshold = c.rpnNMSThreshold; rs.scoreThreshold = c.rpnScoreThreshold; rs.nms = nms
        rpn = RegionProposalNetwork(head: RPNHead(inChannels: backbone.fpn.outChannels, numAnchors: generator.anchorsPerLocation[0]),
                                    anchorGenerator: generator, settings: rs)
        var hs = RoIHeads.Settings()
        hs.fgIoU = c.boxFgIoU; hs.bgIoU = c.boxBgIoU; hs.batchSizePerImage = c.boxBatchSizePerImage
        hs.positiveFraction = c.boxPositiveFraction; hs.scoreThreshold = c.boxScoreThreshold; hs.nmsThreshold = c.boxNMSThreshold
        hs.detectionsPerImage = c.boxDetectionsPerImage; hs.nms = nms; hs.boxLoss = boxLoss
        roiHeads = RoIHeads(boxHead: TwoMLPHead(inChannels: backbone.fpn.outChannels * 49, representationSize: representation),
                            boxPredictor: FastRCNNPredictor(inChannels: representation, numClasses: c.numClasses), settings: hs)
        transform = try GeneralizedRCNNTransform(minSize: c.minSize, maxSize: c.maxSize, imageMean: c.imageMean, imageStd: c.imageStd)
        config = c
        super.init()
    }

    /// Loads a torchvision-keyed safetensors checkpoint strictly. Errors are one line naming the
    /// file: a class count other than `config.numClasses`, or a summary of the keys that do not
    /// fit (another backbone or plugin).
    public func load(weights url: URL) throws {
        let file = try SafetensorsFile.read(from: url)
        let key = "roi_heads.box_predictor.cls_score.weight"
        if let a = file[key], a.shape.count == 2, a.shape[0] != config.numClasses {
            throw DetectionError("\(url.path): \(key) has \(a.shape[0]) classes (background included), the model has \(config.numClasses) (num classes)")
        }
        do {
            try loadStateDict(file.entries.map { (key: $0.name, array: $0.array) }, source: url.path)
        } catch let e as StateDictError {
            var parts: [String] = []
            if let k = e.missing.first { parts.append("\(e.missing.count) missing keys (first \(k))") }
            if let k = e.unexpected.first { parts.append("\(e.unexpected.count) unexpected keys (first \(k))") }
            if let m = e.mismatched.first { parts.append("\(e.mismatched.count) shape mismatches (first \(m.key): model \(m.expected), file \(m.found))") }
            throw DetectionError("\(url.path): the weights do not fit backbone '\(config.backbone)'\(config.plugins.isEmpty ? "" : " with plugins \(config.plugins)"): \(parts.joined(separator: ", "))")
        }
    }

    /// Every intermediate value of one evaluation forward (parity checks, debugging).
    public struct Trace: Sendable {
        public var batch: GeneralizedRCNNTransform.Batch
        /// (name, map): "0"…"3", "pool".
        public var features: [(String, Tensor)]
        public var rpn: RegionProposalNetwork.Output
        public var pooled: Tensor, logits: Tensor, deltas: Tensor
        /// In the resized images' pixels.
        public var resizedDetections: [RoIHeads.Detections]
        /// In the input images' pixels.
        public var detections: [DetectorOutput]
    }

    /// Evaluation forward with its intermediate values (no tape).
    public func trace(images: [Tensor]) throws -> Trace {
        try withNoGrad {
            let batch = try transform(images, training: false)
            let maps = backbone.features(batch.images)
            let features = Array(zip(backbone.featureNames, maps))
            let r = try rpn(maps, batchSize: (batch.images.shape[2], batch.images.shape[3]), imageSizes: batch.imageSizes)
            let (pooled, logits, deltas) = try roiHeads.predict(features, proposals: r.proposals, imageSizes: batch.imageSizes)
            let dets = try roiHeads.postprocess(logits: logits, deltas: deltas, proposals: r.proposals, imageSizes: batch.imageSizes)
            let outputs = zip(dets, zip(batch.imageSizes, batch.originalSizes)).map { d, s in
                DetectorOutput(boxes: GeneralizedRCNNTransform.resizeBoxes(d.boxes, from: s.0, to: s.1), scores: d.scores, labels: d.labels)
            }
            return Trace(batch: batch, features: features, rpn: r, pooled: pooled, logits: logits, deltas: deltas,
                         resizedDetections: dets, detections: outputs)
        }
    }

    /// Detections per image in the input's pixels (call `eval()` first, as with torchvision).
    public func detect(images: [Tensor]) -> [DetectorOutput] {
        do { return try trace(images: images).detections } catch { ShapeCheck.fail("FasterRCNN.detect: \(error)") }
    }

    /// The four training losses (torchvision's names and order: classifier, box_reg, objectness, rpn_box_reg).
    public func trainingLosses(images: [Tensor], targets: [DetectionTarget], generator: RandomGenerator = .current) throws
        -> [(name: String, value: Tensor)] {
        guard targets.count == images.count else { throw DetectionError("targets: \(targets.count) targets for \(images.count) images") }
        for (i, t) in targets.enumerated() where t.boxes.count != 4 * t.labels.count {
            throw DetectionError("targets[\(i)]: \(t.boxes.count / 4) boxes for \(t.labels.count) labels")
        }
        // One random stream per image, from one draw of `generator` and the image id: an image's
        // scale and samples do not depend on the other images of the batch, so a batch split over
        // MPI ranks draws what one process draws.
        let base = UInt64(generator.integer(below: 1 << 62))
        let streams = targets.map { RandomGenerator(seed: mix(base, UInt64(truncatingIfNeeded: $0.imageId), 0x5A)) }
        let batch = try transform(images, boxes: targets.map(\.boxes), training: true, imageGenerators: streams)
        let maps = backbone.features(batch.images)
        let features = Array(zip(backbone.featureNames, maps))
        let r = try rpn(maps, batchSize: (batch.images.shape[2], batch.images.shape[3]), imageSizes: batch.imageSizes,
                        targets: batch.boxes, imageGenerators: streams)
        let head = try roiHeads.losses(features, proposals: r.proposals, imageSizes: batch.imageSizes, targetBoxes: batch.boxes,
                                       targetLabels: targets.map(\.labels), imageGenerators: streams)
        return head + r.losses
    }

    public func losses(images: [Tensor], targets: [DetectionTarget]) -> [(name: String, value: Tensor)] {
        do { return try trainingLosses(images: images, targets: targets) } catch { ShapeCheck.fail("FasterRCNN.losses: \(error)") }
    }
}

extension DetectionTarget {
    /// Targets of one image outside the loader (tests, benchmarks, callers of `FasterRCNN.trainingLosses`):
    /// `boxes` K·4 corners in the image's pixels, `labels` K classes in 1…K, the image's `width` × `height`.
    public init(boxes: [Float], labels: [Int], imageId: Int = 0, width: Int, height: Int) {
        self.boxes = boxes; self.labels = labels; self.imageId = imageId
        self.originalWidth = width; self.originalHeight = height
    }
}
