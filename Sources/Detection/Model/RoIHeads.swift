import Boxes
import Foundation
import NN
import TensorCore

/// The second stage of Faster R-CNN (Girshick 2015, https://arxiv.org/abs/1504.08083), torchvision's
/// `models.detection.roi_heads.RoIHeads` (boxes only): MultiScaleRoIAlign (maps "0"…"3", 7×7,
/// sampling ratio 2) → `TwoMLPHead` → `FastRCNNPredictor`.
/// Training: the ground-truth boxes are appended to each image's proposals, matched by IoU
/// (fg ≥ 0.5, bg < 0.5), `batchSizePerImage` RoIs sampled (`positiveFraction` positive), targets
/// coded with weights (10, 10, 5, 5); losses `loss_classifier`, `loss_box_reg` (`fastRCNNLoss`).
/// Evaluation (`postprocess`): softmax, per-class boxes decoded and clipped, background dropped,
/// score > `scoreThreshold`, sides ≥ 1e-2, NMS per class (`nms`, torchvision: greedy at
/// `nmsThreshold`), the first `detectionsPerImage`.
/// State-dict keys: `box_head.*`, `box_predictor.*`.
public final class RoIHeads: Module, @unchecked Sendable {
    public let boxHead: TwoMLPHead
    public let boxPredictor: FastRCNNPredictor
    public let boxRoIPool: MultiScaleRoIAlign
    public let settings: Settings

    public struct Settings: Sendable {
        public var fgIoU: Float = 0.5, bgIoU: Float = 0.5
        public var batchSizePerImage = 512
        public var positiveFraction: Float = 0.25
        public var scoreThreshold: Float = 0.05
        public var nmsThreshold: Float = 0.5
        public var detectionsPerImage = 100
        public var nms: NMSMethod = .greedy
        public var boxLoss: BoxRegressionLoss = .smoothL1
        public init() {}
    }

    /// Detections of one image in the resized image's pixels.
    public struct Detections: Sendable {
        public var boxes: [Float], scores: [Float], labels: [Int]
    }

    public let coder = BoxCoder(weights: (10, 10, 5, 5))

    public init(boxHead: TwoMLPHead, boxPredictor: FastRCNNPredictor, settings: Settings,
                boxRoIPool: MultiScaleRoIAlign = MultiScaleRoIAlign(featmapNames: ["0", "1", "2", "3"], outputSize: 7, samplingRatio: 2)) {
        self.boxHead = boxHead; self.boxPredictor = boxPredictor; self.settings = settings; self.boxRoIPool = boxRoIPool
        super.init()
    }

    /// Pooled features (ΣK, C, 7, 7), then class logits (ΣK, K) and deltas (ΣK, 4K) of `proposals`.
    public func predict(_ features: [(String, Tensor)], proposals: [[Float]], imageSizes: [(Int, Int)]) throws
        -> (pooled: Tensor, logits: Tensor, deltas: Tensor) {
        let boxes = proposals.map { Tensor($0, shape: [$0.count / 4, 4]) }
        let pooled = try boxRoIPool(features, boxes: boxes, imageShapes: imageSizes)
        let (logits, deltas) = boxPredictor.predict(boxHead(pooled))
        return (pooled, logits, deltas)
    }

    /// Training: samples RoIs among `proposals` + ground truth and returns the two losses.
    public func losses(_ features: [(String, Tensor)], proposals: [[Float]], imageSizes: [(Int, Int)],
                       targetBoxes: [[Float]], targetLabels: [[Int]], generator: RandomGenerator = .current,
                       imageGenerators: [RandomGenerator]? = nil) throws
        -> [(name: String, value: Tensor)] {
        guard targetBoxes.count == proposals.count, targetLabels.count == proposals.count else {
            throw DetectionError("targets: \(targetBoxes.count) targets for \(proposals.count) images")
        }
        let matcher = try Matcher(highThreshold: settings.fgIoU, lowThreshold: settings.bgIoU, allowLowQualityMatches: false)
        let sampler = try BalancedPositiveNegativeSampler(batchSizePerImage: settings.batchSizePerImage,
                                                          positiveFraction: Double(settings.positiveFraction))
        var all: [[Float]] = [], labels: [[Int]] = [], matched: [[Int]] = []
        for (i, p) in proposals.enumerated() {
            let gt = targetBoxes[i], props = p + gt, count = props.count / 4
            guard gt.count == 4 * targetLabels[i].count else {
                throw DetectionError("targets[\(i)]: \(gt.count / 4) boxes for \(targetLabels[i].count) labels")
            }
            all.append(props)
            if gt.isEmpty {
                labels.append([Int](repeating: 0, count: count)); matched.append([Int](repeating: 0, count: count)); continue
            }
            let m = try matcher(Tensor(try pairwiseIoU(gt, props), shape: [gt.count / 4, count]))
            matched.append(m.map { max($0, 0) })
            labels.append(m.map { $0 == Matcher.belowLowThreshold ? 0 : ($0 == Matcher.betweenThresholds ? -1 : targetLabels[i][$0]) })
        }
        let sampled = sampler(labels, generators: imageGenerators ?? labels.map { _ in generator })
        var rois: [[Float]] = [], roiLabels: [Int] = [], roiTargets: [Float] = []
        for i in 0..<proposals.count {
            let chosen = (sampled[i].positive + sampled[i].negative).sorted()
            rois.append(chosen.flatMap { all[i][(4 * $0)..<(4 * $0 + 4)] })
            roiLabels += chosen.map { labels[i][$0] }
            let gt = targetBoxes[i].isEmpty ? [Float](repeating: 0, count: 4) : targetBoxes[i]
            roiTargets += chosen.flatMap { j in gt[(4 * matched[i][j])..<(4 * matched[i][j] + 4)] }
        }
        let (_, logits, deltas) = try predict(features, proposals: rois, imageSizes: imageSizes)
        let (cls, box) = try fastRCNNLoss(logits: logits, deltas: deltas, labels: roiLabels, targetBoxes: roiTargets,
                                          proposals: rois.flatMap { $0 }, coder: coder, kind: settings.boxLoss)
        return [("loss_classifier", cls), ("loss_box_reg", box)]
    }

    /// torchvision's `postprocess_detections` on `logits` (ΣK, K) and `deltas` (ΣK, 4K) of
    /// `proposals` (K·4 per image).
    public func postprocess(logits: Tensor, deltas: Tensor, proposals: [[Float]], imageSizes: [(Int, Int)]) throws -> [Detections] {
        let numClasses = logits.shape[1]
        let refs = proposals.flatMap { $0 }
        let boxes = try coder.decode(deltas, references: Tensor(refs, shape: [refs.count / 4, 4])).scalars
        let scores = logits.softmax(axis: 1).scalars
        var out: [Detections] = [], row0 = 0
        for (i, p) in proposals.enumerated() {
            let rows = p.count / 4, (h, w) = imageSizes[i]
            var candBoxes: [Float] = [], candScores: [Float] = [], candLabels: [Int] = []
            for r in row0..<(row0 + rows) {
                for c in 1..<numClasses {
                    let s = scores[r * numClasses + c]
                    guard s > settings.scoreThreshold else { continue }
                    let o = 4 * (r * numClasses + c)
                    let x1 = min(max(boxes[o], 0), Float(w)), y1 = min(max(boxes[o + 1], 0), Float(h))
                    let x2 = min(max(boxes[o + 2], 0), Float(w)), y2 = min(max(boxes[o + 3], 0), Float(h))
                    guard x2 - x1 >= 1e-2, y2 - y1 >= 1e-2 else { continue }
                    candBoxes += [x1, y1, x2, y2]; candScores.append(s); candLabels.append(c)
                }
            }
            row0 += rows
            guard !candScores.isEmpty else { out.append(Detections(boxes: [], scores: [], labels: [])); continue }
            let r = try nonMaximumSuppression(candBoxes, scores: candScores, classes: candLabels, method: settings.nms,
                                              iouThreshold: Double(settings.nmsThreshold))
            let n = min(r.keep.count, settings.detectionsPerImage)
            var d = Detections(boxes: [], scores: Array(r.scores.prefix(n)), labels: [])
            for k in 0..<n {
                let j = r.keep[k]
                d.boxes += r.boxes.map { Array($0[(4 * k)..<(4 * k + 4)]) } ?? Array(candBoxes[(4 * j)..<(4 * j + 4)])
                d.labels.append(candLabels[j])
            }
            out.append(d)
        }
        return out
    }
}
