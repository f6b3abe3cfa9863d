import Foundation
import NN
import TensorCore

/// A tiny stand-in ``Detector`` for tests of the training loop and the CLI (`attnzoo train
/// --detector stub`, a hidden option): conv 3→8 (stride 2) + BatchNorm + ReLU + global average
/// pool + linear to 4 box numbers and `numClasses` logits, one box per image. Not a detector
/// anyone should use.
///
/// Train mode: per image one ground-truth box is drawn with `RandomGenerator.current` (so the
/// loop's generator state matters, as Faster R-CNN's samplers make it matter); `loss_box_reg`
/// is the L1 distance of sigmoid outputs to that box's corners divided by the image size,
/// `loss_classifier` the cross-entropy to its label (background for an image without boxes).
/// Eval mode: the predicted box in pixels of the given image, scored by the best non-background class.
public final class StubDetector: Module, Detector, @unchecked Sendable {
    public let config: DetectorConfig
    let conv: Conv2d
    let bn: BatchNorm2d
    let head: Linear

    public init(config: DetectorConfig) {
        self.config = config
        conv = Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 1)
        bn = BatchNorm2d(numFeatures: 8)
        head = Linear(inFeatures: 8, outFeatures: 4 + config.numClasses)
        super.init()
    }

    /// [N, 4 + numClasses]: images of one size as one batch (BatchNorm over the batch, as
    /// `--sync-bn` needs), otherwise each image separately.
    func outputs(_ images: [Tensor]) -> Tensor {
        if Set(images.map(\.shape)).count == 1 {
            return head(bn(conv(Tensor.cat(images.map { $0.unsqueezed(0) }, axis: 0))).relu().mean(axes: [2, 3]))
        }
        let features = images.map { image -> Tensor in
            let x = bn(conv(image.unsqueezed(0))).relu()
            return x.mean(axes: [2, 3])
        }
        return head(Tensor.cat(features, axis: 0))
    }

    public func losses(images: [Tensor], targets: [DetectionTarget]) -> [(name: String, value: Tensor)] {
        let out = outputs(images), n = images.count, k = config.numClasses
        let boxes = out.slice(axis: 1, start: 0, end: 4).sigmoid()
        let logits = out.slice(axis: 1, start: 4, end: 4 + k)
        var wanted = [Float](repeating: 0, count: 4 * n), mask = [Float](repeating: 0, count: 4 * n), labels = [Int](repeating: 0, count: n)
        // One draw from the run's generator per call, then a generator per image from that draw and
        // the image id: the same choices however the batch is split over data-parallel ranks.
        let base = UInt64(RandomGenerator.current.integer(below: 1 << 30))
        for (i, t) in targets.enumerated() where !t.labels.isEmpty {
            let j = RandomGenerator(seed: base &* 0x9E37_79B9 &+ UInt64(truncatingIfNeeded: t.imageId)).integer(below: t.labels.count)
            let w = Float(images[i].shape[2]), h = Float(images[i].shape[1])
            let b = t.boxes[4 * j..<4 * j + 4].map { $0 }
            wanted.replaceSubrange(4 * i..<4 * i + 4, with: [b[0] / w, b[1] / h, b[2] / w, b[3] / h])
            mask.replaceSubrange(4 * i..<4 * i + 4, with: [1, 1, 1, 1])
            labels[i] = t.labels[j]
        }
        // Normalised per image (not per positive image of the batch), so the loss of a batch is the
        // mean of its images' losses and data-parallel ranks average to the 1-process loss.
        let boxLoss = ((boxes - Tensor(wanted, shape: [n, 4])).abs() * Tensor(mask, shape: [n, 4])).sum() * Tensor(scalar: 1 / Float(n))
        return [("loss_classifier", Loss.crossEntropy(logits, targets: labels)), ("loss_box_reg", boxLoss)]
    }

    public func detect(images: [Tensor]) -> [DetectorOutput] {
        let out = outputs(images), k = config.numClasses, v = out.scalars
        return images.enumerated().map { i, image in
            let row = Array(v[i * (4 + k)..<(i + 1) * (4 + k)])
            let w = Float(image.shape[2]), h = Float(image.shape[1])
            let s = row[0..<4].map { 1 / (1 + _exp(-$0)) }
            let logits = Array(row[4...]), m = logits.max()!
            let e = logits.map { _exp($0 - m) }, z = e.reduce(0, +)
            var best = 1
            for c in 1..<k where e[c] > e[best] { best = c }
            let x1 = min(s[0], s[2]) * w, x2 = max(s[0], s[2]) * w, y1 = min(s[1], s[3]) * h, y2 = max(s[1], s[3]) * h
            return DetectorOutput(boxes: [x1, y1, x2, y2], scores: [e[best] / z], labels: [best])
        }
    }
}

private func _exp(_ x: Float) -> Float { Float(exp(Double(x))) }
