import Foundation
import TensorCore

/// The input stage of the R-CNN family, torchvision's
/// `models.detection.transform.GeneralizedRCNNTransform`: per image `(x − mean) / std`, a
/// bilinear resize (align_corners false) by `scale = min(minSize / min(h, w), maxSize / max(h, w))`
/// to `⌊h·scale⌋ × ⌊w·scale⌋` (Float64, as `F.interpolate(scale_factor:, recompute_scale_factor=True)`),
/// then one zero-padded (N, 3, H, W) batch with H, W rounded up to multiples of `sizeDivisible`.
/// Training picks the shorter side uniformly from `minSize` (torchvision's `torch_choice`; ours
/// draws from the task's `RandomGenerator`); evaluation uses its last entry. Boxes are scaled by
/// `Float(new) / Float(old)` per axis (`resize_boxes`), on the way in and back.
public struct GeneralizedRCNNTransform: Sendable {
    public var minSize: [Int]
    public var maxSize: Int
    public var imageMean: [Float]
    public var imageStd: [Float]
    public var sizeDivisible: Int

    public init(minSize: [Int], maxSize: Int, imageMean: [Float], imageStd: [Float], sizeDivisible: Int = 32) throws {
        guard !minSize.isEmpty, minSize.allSatisfy({ $0 > 0 }) else { throw DetectionError("minSize: expected positive sizes, got \(minSize)") }
        guard maxSize > 0 else { throw DetectionError("maxSize: expected a positive size, got \(maxSize)") }
        guard imageMean.count == 3, imageStd.count == 3, imageStd.allSatisfy({ $0 > 0 }) else {
            throw DetectionError("imageMean/imageStd: expected 3 values each (std > 0), got \(imageMean) / \(imageStd)")
        }
        guard sizeDivisible > 0 else { throw DetectionError("sizeDivisible: expected a positive value, got \(sizeDivisible)") }
        self.minSize = minSize; self.maxSize = maxSize; self.imageMean = imageMean; self.imageStd = imageStd
        self.sizeDivisible = sizeDivisible
    }

    /// A transformed batch.
    public struct Batch: Sendable {
        /// (N, 3, H, W), normalised, resized, zero-padded.
        public let images: Tensor
        /// (height, width) of each resized image inside the batch.
        public let imageSizes: [(Int, Int)]
        /// (height, width) of each input image.
        public let originalSizes: [(Int, Int)]
        /// Boxes (K·4 per image) resized with their images (training targets), or empty.
        public let boxes: [[Float]]
    }

    /// The resized (height, width) of an image of `height × width` for the shorter side `size`.
    public func resizedSize(height: Int, width: Int, size: Int) -> (Int, Int) {
        let scale = min(Double(size) / Double(min(height, width)), Double(maxSize) / Double(max(height, width)))
        return (Int((Double(height) * scale).rounded(.down)), Int((Double(width) * scale).rounded(.down)))
    }

    /// Normalises, resizes and batches `images` ((3, H, W) each); `boxes` (K·4 per image, pixels)
    /// are resized with them when given.
    public func callAsFunction(_ images: [Tensor], boxes: [[Float]]? = nil, training: Bool,
                               generator: RandomGenerator = .current, imageGenerators: [RandomGenerator]? = nil) throws -> Batch {
        guard !images.isEmpty else { throw DetectionError("images: expected at least one image") }
        if let imageGenerators, imageGenerators.count != images.count {
            throw DetectionError("imageGenerators: \(imageGenerators.count) generators for \(images.count) images")
        }
        if let boxes, boxes.count != images.count {
            throw DetectionError("targets: \(boxes.count) targets for \(images.count) images")
        }
        var resized: [Tensor] = [], sizes: [(Int, Int)] = [], originals: [(Int, Int)] = [], outBoxes: [[Float]] = []
        for (i, image) in images.enumerated() {
            guard image.rank == 3, image.shape[0] == 3, image.shape[1] > 0, image.shape[2] > 0 else {
                throw DetectionError("images[\(i)]: expected a (3, H, W) image, got shape \(image.shape)")
            }
            let h = image.shape[1], w = image.shape[2]
            let size = training ? minSize[(imageGenerators?[i] ?? generator).integer(below: minSize.count)] : minSize[minSize.count - 1]
            let (oh, ow) = resizedSize(height: h, width: w, size: size)
            guard oh > 0, ow > 0 else { throw DetectionError("images[\(i)]: \(h)×\(w) resizes to an empty image") }
            let x = normalize(image.detach()).reshaped([1, 3, h, w])
            resized.append(x.interpolate(size: (oh, ow), mode: .bilinear, alignCorners: false))
            sizes.append((oh, ow)); originals.append((h, w))
            if let boxes {
                outBoxes.append(Self.resizeBoxes(boxes[i], from: (h, w), to: (oh, ow)))
            }
        }
        let d = Double(sizeDivisible)
        let bh = Int((Double(sizes.map(\.0).max()!) / d).rounded(.up) * d)
        let bw = Int((Double(sizes.map(\.1).max()!) / d).rounded(.up) * d)
        let batch = Tensor.zeros([images.count, 3, bh, bw])
        for (i, r) in resized.enumerated() {
            let (oh, ow) = sizes[i], src = r.data, dst = batch.data + i * 3 * bh * bw
            for c in 0..<3 {
                for y in 0..<oh {
                    (dst + (c * bh + y) * bw).update(from: src + (c * oh + y) * ow, count: ow)
                }
            }
        }
        return Batch(images: batch, imageSizes: sizes, originalSizes: originals, boxes: outBoxes)
    }

    /// `(x − mean) / std` per channel (torchvision's order of operations).
    func normalize(_ image: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: image.shape)
        let plane = image.shape[1] * image.shape[2], src = image.data, dst = out.data
        for c in 0..<3 {
            let m = imageMean[c], s = imageStd[c]
            for i in (c * plane)..<((c + 1) * plane) { dst[i] = (src[i] - m) / s }
        }
        return out
    }

    /// torchvision's `resize_boxes`: x·Float(new w)/Float(old w), y·Float(new h)/Float(old h).
    public static func resizeBoxes(_ boxes: [Float], from old: (Int, Int), to new: (Int, Int)) -> [Float] {
        let rh = Float(new.0) / Float(old.0), rw = Float(new.1) / Float(old.1)
        return boxes.enumerated().map { i, v in i % 2 == 0 ? v * rw : v * rh }
    }
}
