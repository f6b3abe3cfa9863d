import Boxes
import Foundation
import TensorCore

/// Training targets of one image (torchvision's `target` dict).
public struct DetectionTarget: Sendable {
    /// N×4 boxes `x1 y1 x2 y2` in pixels of the (augmented) image, row-major.
    public var boxes: [Float]
    /// N labels in 1…K.
    public var labels: [Int]
    public var imageId: Int
    /// The image's size in the file, before augmentation (to map predictions back).
    public var originalWidth: Int, originalHeight: Int
    /// The boxes as a `[N, 4]` tensor.
    public var boxesTensor: Tensor { Tensor(boxes, shape: [labels.count, 4]) }
}

/// One batch: RGB images `[3, H, W]` in [0, 1] (sizes may differ; the model normalises, resizes
/// and pads them, as torchvision's `GeneralizedRCNNTransform` does) and their targets.
public struct DetectionBatch: Sendable {
    public var images: [Tensor]
    public var targets: [DetectionTarget]
    /// Dataset indices of the images.
    public var indices: [Int]
    public var epoch: Int, iteration: Int
}

/// Training augmentation: random horizontal flip, then multi-scale resize.
public struct Augmentation: Sendable, Equatable {
    /// Probability of a horizontal flip (boxes flipped with it).
    public var flipProbability: Double
    /// Shorter-side lengths drawn from uniformly per image; empty keeps the native size.
    public var shorterSides: [Int]
    /// Cap on the longer side after resizing (torchvision's `max_size`).
    public var maxSize: Int

    public init(flipProbability: Double = 0.5, shorterSides: [Int] = [], maxSize: Int = 1333) {
        self.flipProbability = flipProbability; self.shorterSides = shorterSides; self.maxSize = maxSize
    }

    /// No flip, native size (evaluation).
    public static let none = Augmentation(flipProbability: 0)
}

/// Deterministic batches of a ``COCODataset`` with a background prefetch.
///
/// Batch `(epoch, iteration)` is a pure function of the seed: the epoch's order is a Fisher–Yates
/// permutation drawn from `RandomGenerator(seed: mix(seed, epoch))`, and each image's flip and
/// scale come from `RandomGenerator(seed: mix(seed, epoch, position))`. A resumed run (start at
/// any epoch and iteration) therefore sees the same data, and the prefetch thread cannot change
/// anything by running early or late.
public final class DetectionLoader: Sendable {
    public let dataset: COCODataset
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let augmentation: Augmentation
    /// Threads decoding the images of one batch.
    public let threads: Int

    public init(dataset: COCODataset, batchSize: Int, seed: UInt64 = 0, shuffle: Bool = true,
                augmentation: Augmentation = Augmentation(), threads: Int = 1) throws {
        guard batchSize >= 1 else { throw DatasetError("batch size must be at least 1, got \(batchSize)") }
        guard !dataset.images.isEmpty else { throw DatasetError("\(dataset.annotationFile): the dataset has no images") }
        guard augmentation.shorterSides.allSatisfy({ $0 > 0 }), augmentation.maxSize > 0 else {
            throw DatasetError("augmentation sizes must be positive: shorter sides \(augmentation.shorterSides), max \(augmentation.maxSize)")
        }
        self.dataset = dataset; self.batchSize = batchSize; self.seed = seed; self.shuffle = shuffle
        self.augmentation = augmentation; self.threads = max(1, threads)
    }

    /// Batches per epoch (the last one may be smaller).
    public var iterationsPerEpoch: Int { (dataset.images.count + batchSize - 1) / batchSize }

    /// The dataset indices of `epoch`, in the order they are served.
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<dataset.images.count)
        guard shuffle else { return order }
        let rng = RandomGenerator(seed: mix(seed, UInt64(epoch)))
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.integer(below: i + 1)) }
        return order
    }

    /// Decodes and augments batch `iteration` of `epoch` (images decoded over ``threads`` threads).
    public func batch(epoch: Int, iteration: Int) throws -> DetectionBatch {
        try batch(epoch: epoch, iteration: iteration, order: order(epoch: epoch))
    }

    func batch(epoch: Int, iteration: Int, order: [Int]) throws -> DetectionBatch {
        precondition(iteration >= 0 && iteration < iterationsPerEpoch, "iteration \(iteration) outside the epoch")
        let positions = Array(iteration * batchSize..<min(order.count, (iteration + 1) * batchSize))
        var results = [Result<(Tensor, DetectionTarget), Error>?](repeating: nil, count: positions.count)
        results.withUnsafeMutableBufferPointer { out in
            let slots = SendablePointer(out.baseAddress!)
            concurrentForEach(positions.count, threads: threads) { k in
                let p = positions[k]
                slots.pointer[k] = Result { try self.sample(order[p], rng: RandomGenerator(seed: mix(self.seed, UInt64(epoch), UInt64(p) &+ 1))) }
            }
        }
        var batch = DetectionBatch(images: [], targets: [], indices: positions.map { order[$0] }, epoch: epoch, iteration: iteration)
        for r in results {
            let (image, target) = try r!.get()
            batch.images.append(image); batch.targets.append(target)
        }
        return batch
    }

    /// Image `index` decoded and augmented with `rng`'s draws (flip first, then scale).
    public func sample(_ index: Int, rng: RandomGenerator) throws -> (Tensor, DetectionTarget) {
        let entry = dataset.images[index]
        let image = try dataset.loadImage(index)
        let draws = rng.uniform(2)
        let flip = Double(draws[0]) < augmentation.flipProbability
        let side = augmentation.shorterSides.isEmpty ? nil
            : augmentation.shorterSides[min(augmentation.shorterSides.count - 1, Int(draws[1] * Float(augmentation.shorterSides.count)))]
        let (outW, outH) = side.map { resizedSize(width: image.width, height: image.height, shorterSide: $0, maxSize: augmentation.maxSize) }
            ?? (image.width, image.height)
        let tensor = chwFloat(image, width: outW, height: outH, flip: flip)
        let sx = Float(outW) / Float(image.width), sy = Float(outH) / Float(image.height)
        var boxes = entry.boxes
        for b in stride(from: 0, to: boxes.count, by: 4) {
            var x1 = boxes[b], x2 = boxes[b + 2]
            if flip { (x1, x2) = (Float(image.width) - x2, Float(image.width) - x1) }
            boxes[b] = x1 * sx; boxes[b + 1] *= sy; boxes[b + 2] = x2 * sx; boxes[b + 3] *= sy
        }
        return (tensor, DetectionTarget(boxes: boxes, labels: entry.labels, imageId: entry.id,
                                        originalWidth: image.width, originalHeight: image.height))
    }

    /// Batches from `(epoch, iteration)` on, each decoded in the background while the previous
    /// one is in use. `epochs` bounds the run (nil: forever).
    public func makeIterator(epoch: Int = 0, iteration: Int = 0, epochs: Int? = nil) -> PrefetchingBatchIterator {
        PrefetchingBatchIterator(loader: self, epoch: epoch, iteration: iteration, endEpoch: epochs.map { epoch + $0 })
    }
}

/// Serves a ``DetectionLoader``'s batches in order with one batch decoded ahead on a background queue.
public final class PrefetchingBatchIterator {
    private let loader: DetectionLoader
    private var epoch: Int, iteration: Int
    private let endEpoch: Int?
    private var order: [Int]
    private var pending: Pending?
    private let queue = DispatchQueue(label: "attnzoo.prefetch", qos: .userInitiated)

    private final class Pending: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var result: Result<DetectionBatch, Error>?
        func wait() -> Result<DetectionBatch, Error> { done.wait(); return result! }
        /// Whether the background work has finished (without waiting).
        var isReady: Bool {
            guard done.wait(timeout: .now()) == .success else { return false }
            done.signal()
            return true
        }
    }

    /// Whether the next batch is already decoded (the background work finished); false at the end.
    public var nextIsReady: Bool { pending?.isReady ?? false }

    init(loader: DetectionLoader, epoch: Int, iteration: Int, endEpoch: Int?) {
        self.loader = loader; self.epoch = epoch; self.iteration = iteration; self.endEpoch = endEpoch
        order = loader.order(epoch: epoch)
        pending = start()
    }

    /// The position of the next batch.
    public var position: (epoch: Int, iteration: Int) { (epoch, iteration) }

    private func start() -> Pending? {
        if let endEpoch, epoch >= endEpoch { return nil }
        let p = Pending()
        let (loader, e, i, order) = (loader, epoch, iteration, order)
        queue.async {
            p.result = Result { try loader.batch(epoch: e, iteration: i, order: order) }
            p.done.signal()
        }
        return p
    }

    /// The next batch (waiting for it if the background work is behind); nil after the last epoch.
    /// Starts decoding the batch after it before returning.
    public func next() throws -> DetectionBatch? {
        guard let current = pending else { return nil }
        iteration += 1
        if iteration == loader.iterationsPerEpoch {
            iteration = 0; epoch += 1
            order = loader.order(epoch: epoch)
        }
        let result = current.wait()
        pending = start()
        return try result.get()
    }

    deinit { _ = pending?.wait() }
}

/// torchvision's `GeneralizedRCNNTransform` resize: scale = min(side / shorter, maxSize / longer),
/// output size ⌊size · scale⌋ per axis.
public func resizedSize(width: Int, height: Int, shorterSide: Int, maxSize: Int) -> (Int, Int) {
    let small = Double(min(width, height)), large = Double(max(width, height))
    let scale = min(Double(shorterSide) / small, Double(maxSize) / large)
    return (max(1, Int((Double(width) * scale).rounded(.down))), max(1, Int((Double(height) * scale).rounded(.down))))
}

/// The image as a `[3, height, width]` tensor in [0, 1], resized bilinearly (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)` source positions) and mirrored when `flip`.
public func chwFloat(_ image: RGBImage, width outW: Int, height outH: Int, flip: Bool = false) -> Tensor {
    let out = Tensor(uninitializedShape: [3, outH, outW])
    let inW = image.width, inH = image.height
    if inW == outW, inH == outH {   // native size: a conversion (and mirror) only
        let d = out.data, plane = outH * outW
        image.pixels.withUnsafeBufferPointer { px in
            for y in 0..<outH {
                for x in 0..<outW {
                    let s = 3 * (y * inW + (flip ? inW - 1 - x : x)), o = y * outW + x
                    d[o] = Float(px[s]) / 255; d[plane + o] = Float(px[s + 1]) / 255; d[2 * plane + o] = Float(px[s + 2]) / 255
                }
            }
        }
        return out
    }
    let tx = linearTaps(inW, outW), ty = linearTaps(inH, outH)
    let plane = outH * outW
    let d = out.data
    image.pixels.withUnsafeBufferPointer { px in
        let s: Float = 1 / 255
        for oy in 0..<outH {
            let (y0, y1, wy1) = ty[oy]
            let r0 = 3 * y0 * inW, r1 = 3 * y1 * inW
            for ox in 0..<outW {
                let (x0, x1, wx1) = tx[flip ? outW - 1 - ox : ox]
                let o = oy * outW + ox
                for c in 0..<3 {
                    let a = Float(px[r0 + 3 * x0 + c]), b = Float(px[r0 + 3 * x1 + c])
                    let e = Float(px[r1 + 3 * x0 + c]), f = Float(px[r1 + 3 * x1 + c])
                    let top = a + (b - a) * wx1, bottom = e + (f - e) * wx1
                    d[c * plane + o] = (top + (bottom - top) * wy1) * s
                }
            }
        }
    }
    return out
}

/// Per output index: the two source indices and the weight of the second (align_corners=False).
private func linearTaps(_ inSize: Int, _ outSize: Int) -> [(Int, Int, Float)] {
    let scale = Float(inSize) / Float(outSize)
    return (0..<outSize).map { o in
        let src = max(0, (Float(o) + 0.5) * scale - 0.5)
        let i0 = min(Int(src), inSize - 1)
        return (i0, min(i0 + 1, inSize - 1), src - Float(i0))
    }
}

/// splitmix64 finaliser over the words: independent seeds per (seed, epoch, position).
func mix(_ words: UInt64...) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for w in words {
        h = (h ^ w) &+ 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
    }
    return h
}
