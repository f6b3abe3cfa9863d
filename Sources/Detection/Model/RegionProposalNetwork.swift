import Boxes
import Foundation
import NN
import TensorCore

/// Region Proposal Network (Ren et al. 2015), torchvision's `models.detection.rpn.RegionProposalNetwork`.
///
/// Proposals, per image: the `preNMSTopN` highest objectness logits of each level, decoded
/// (BoxCoder weights 1, 1, 1, 1) from their anchors, clipped to the resized image, boxes with a
/// side < `minSize` (1e-3) dropped, `sigmoid(logit) ≥ scoreThreshold` kept, NMS per level
/// (`nms`, torchvision: greedy at `nmsThreshold`), the first `postNMSTopN` by score.
/// Training: anchors matched to the ground truth by IoU (fg ≥ 0.7, bg < 0.3, low-quality matches
/// kept), `batchSizePerImage` anchors sampled per image (`positiveFraction` positive);
/// `loss_objectness` = BCE with logits (mean over the sampled), `loss_rpn_box_reg` = smooth L1
/// (β = 1/9, sum over the positives) / number sampled.
/// Only the top-n anchors are decoded (torchvision decodes all; decoding is per anchor, so the
/// proposals are the same).
/// State-dict keys: `head.*`.
public final class RegionProposalNetwork: Module, @unchecked Sendable {
    public let head: RPNHead
    public let anchorGenerator: AnchorGenerator
    public let settings: Settings

    public struct Settings: Sendable {
        public var fgIoU: Float = 0.7, bgIoU: Float = 0.3
        public var batchSizePerImage = 256
        public var positiveFraction: Float = 0.5
        public var preNMSTopN = (training: 2000, testing: 1000)
        public var postNMSTopN = (training: 2000, testing: 1000)
        public var nmsThreshold: Float = 0.7
        public var scoreThreshold: Float = 0
        public var minSize: Float = 1e-3
        public var nms: NMSMethod = .greedy
        public init() {}
    }

    /// What one forward produced (the intermediate values for parity checks included).
    public struct Output: Sendable {
        /// Per image, K·4 proposal corners in the resized image.
        public var proposals: [[Float]]
        /// Per image, the proposals' scores (sigmoid of the logits, or the NMS's rescored values).
        public var scores: [[Float]]
        /// (A, 4) anchors of every image.
        public var anchors: Tensor
        /// (N, A) objectness logits, levels concatenated (torchvision's flattened order).
        public var objectness: Tensor
        public var levelSizes: [Int]
        /// Training only: `loss_objectness`, `loss_rpn_box_reg`.
        public var losses: [(name: String, value: Tensor)]
    }

    public init(head: RPNHead, anchorGenerator: AnchorGenerator, settings: Settings) {
        self.head = head; self.anchorGenerator = anchorGenerator; self.settings = settings
        super.init()
    }

    /// `features`: the pyramid maps (finest first); `batchSize`: the padded batch's (H, W);
    /// `imageSizes`: each resized image's (h, w); `targets`: ground-truth corners per image
    /// (training only).
    public func callAsFunction(_ features: [Tensor], batchSize: (Int, Int), imageSizes: [(Int, Int)],
                               targets: [[Float]]? = nil, generator: RandomGenerator = .current,
                               imageGenerators: [RandomGenerator]? = nil) throws -> Output {
        let (objLevels, deltaLevels) = head(features)
        let n = features[0].shape[0]
        var objFlat: [Tensor] = [], deltaFlat: [Tensor] = [], levelSizes: [Int] = []
        for (o, d) in zip(objLevels, deltaLevels) {
            let a = o.shape[1], h = o.shape[2], w = o.shape[3]
            objFlat.append(o.permuted([0, 2, 3, 1]).reshaped([n, h * w * a]))
            deltaFlat.append(d.reshaped([n, a, 4, h, w]).permuted([0, 3, 4, 1, 2]).reshaped([n, h * w * a, 4]))
            levelSizes.append(h * w * a)
        }
        let objectness = objFlat.count == 1 ? objFlat[0] : Tensor.cat(objFlat, axis: 1)
        let deltas = deltaFlat.count == 1 ? deltaFlat[0] : Tensor.cat(deltaFlat, axis: 1)
        let total = levelSizes.reduce(0, +)
        let anchors = try anchorGenerator.anchors(imageSize: batchSize, gridSizes: features.map { ($0.shape[2], $0.shape[3]) })
        guard anchors.shape[0] == total else {
            throw DetectionError("anchorGenerator: \(anchors.shape[0]) anchors for \(total) objectness logits (anchors per location \(anchorGenerator.anchorsPerLocation) do not match the head)")
        }
        let training = self.training
        let (proposals, scores) = try filterProposals(objectness: objectness.detach(), deltas: deltas.detach(), anchors: anchors,
                                                      levelSizes: levelSizes, imageSizes: imageSizes, training: training)
        var losses: [(name: String, value: Tensor)] = []
        if training, let targets {
            losses = try computeLoss(objectness: objectness, deltas: deltas, anchors: anchors, targets: targets,
                                     generators: imageGenerators ?? targets.map { _ in generator })
        }
        return Output(proposals: proposals, scores: scores, anchors: anchors, objectness: objectness.detach(),
                      levelSizes: levelSizes, losses: losses)
    }

    func filterProposals(objectness: Tensor, deltas: Tensor, anchors: Tensor, levelSizes: [Int], imageSizes: [(Int, Int)],
                         training: Bool) throws -> ([[Float]], [[Float]]) {
        let n = objectness.shape[0], total = objectness.shape[1]
        let top = try DetectionHelpers.topKPerLevel(objectness, levelSizes: levelSizes,
                                                     k: training ? settings.preNMSTopN.training : settings.preNMSTopN.testing)
        let postN = training ? settings.postNMSTopN.training : settings.postNMSTopN.testing
        let levelOf = DetectionHelpers.levelIDs(levelSizes)
        let coder = BoxCoder(weights: (1, 1, 1, 1))
        let o = objectness.data, d = deltas.data, a = anchors.data
        var outBoxes: [[Float]] = [], outScores: [[Float]] = []
        for i in 0..<n {
            let idx = top[i]
            var codes = [Float](repeating: 0, count: 4 * idx.count), refs = codes
            for (r, j) in idx.enumerated() {
                for c in 0..<4 { codes[4 * r + c] = d[(i * total + j) * 4 + c]; refs[4 * r + c] = a[4 * j + c] }
            }
            let decoded = try coder.decode(Tensor(codes, shape: [idx.count, 4]), references: Tensor(refs, shape: [idx.count, 4])).scalars
            var boxes = try clipBoxes(decoded, width: Float(imageSizes[i].1), height: Float(imageSizes[i].0))
            var scores = idx.map { 1 / (1 + expf(-o[i * total + $0])) }
            var levels = idx.map { levelOf[$0] }
            var keep = try removeSmallBoxes(boxes, minSize: settings.minSize)
            keep = keep.filter { scores[$0] >= settings.scoreThreshold }
            boxes = keep.flatMap { boxes[(4 * $0)..<(4 * $0 + 4)] }; scores = keep.map { scores[$0] }; levels = keep.map { levels[$0] }
            if boxes.isEmpty { outBoxes.append([]); outScores.append([]); continue }
            let r = try nonMaximumSuppression(boxes, scores: scores, classes: levels, method: settings.nms,
                                              iouThreshold: Double(settings.nmsThreshold))
            let kept = Array(r.keep.prefix(postN))
            var chosen = [Float](); chosen.reserveCapacity(4 * kept.count)
            let source = r.boxes ?? boxes
            for (k, j) in kept.enumerated() {
                let row = r.boxes == nil ? j : k
                chosen += source[(4 * row)..<(4 * row + 4)]
            }
            outBoxes.append(chosen)
            outScores.append(Array(r.scores.prefix(postN)))
        }
        return (outBoxes, outScores)
    }

    func computeLoss(objectness: Tensor, deltas: Tensor, anchors: Tensor, targets: [[Float]],
                     generators: [RandomGenerator]) throws -> [(name: String, value: Tensor)] {
        let n = objectness.shape[0], total = objectness.shape[1]
        guard targets.count == n else { throw DetectionError("targets: \(targets.count) targets for \(n) images") }
        let matcher = try Matcher(highThreshold: settings.fgIoU, lowThreshold: settings.bgIoU, allowLowQualityMatches: true)
        let sampler = try BalancedPositiveNegativeSampler(batchSizePerImage: settings.batchSizePerImage,
                                                          positiveFraction: Double(settings.positiveFraction))
        let anchorValues = anchors.scalars
        var labels: [[Int]] = [], matched: [[Int]] = []
        for gt in targets {
            if gt.isEmpty {
                labels.append([Int](repeating: 0, count: total)); matched.append([Int](repeating: 0, count: total)); continue
            }
            let q = try pairwiseIoU(gt, anchorValues)
            let m = try matcher(Tensor(q, shape: [gt.count / 4, total]))
            matched.append(m.map { max($0, 0) })
            labels.append(m.map { $0 >= 0 ? 1 : ($0 == Matcher.belowLowThreshold ? 0 : -1) })
        }
        let sampled = sampler(labels, generators: generators)
        var pos: [Int] = [], neg: [Int] = [], posTargets: [Float] = [], posAnchors: [Float] = []
        for i in 0..<n {
            for j in sampled[i].positive {
                pos.append(i * total + j)
                let g = matched[i][j]
                posTargets += targets[i][(4 * g)..<(4 * g + 4)]
                posAnchors += anchorValues[(4 * j)..<(4 * j + 4)]
            }
            neg += sampled[i].negative.map { i * total + $0 }
        }
        let sampledIdx = pos + neg
        let logits = objectness.reshaped([n * total]).indexSelect(axis: 0, indices: sampledIdx)
        let objLabels = Tensor(pos.map { _ in Float(1) } + neg.map { _ in Float(0) }, shape: [sampledIdx.count])
        let objLoss = Loss.binaryCrossEntropyWithLogits(logits, targets: objLabels)
        let codes = try BoxCoder(weights: (1, 1, 1, 1)).encode(Tensor(posTargets, shape: [pos.count, 4]),
                                                                references: Tensor(posAnchors, shape: [pos.count, 4]))
        let predicted = deltas.reshaped([n * total, 4]).indexSelect(axis: 0, indices: pos)
        let boxLoss = Loss.smoothL1(predicted, codes, beta: 1.0 / 9, reduction: .sum) / Float(max(sampledIdx.count, 1))
        return [("loss_objectness", objLoss), ("loss_rpn_box_reg", boxLoss)]
    }
}
