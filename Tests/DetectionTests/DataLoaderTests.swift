import Boxes
import Foundation
import TensorCore
import Testing
@testable import Detection

/// A loader over the tiny three-image dataset of DataCOCODatasetTests.
func tinyLoader(_ dir: String, batchSize: Int = 2, seed: UInt64 = 7, augmentation: Augmentation = Augmentation(shorterSides: [20, 24]),
                threads: Int = 2) throws -> DetectionLoader {
    try DetectionLoader(dataset: COCODataset(directory: dir, split: "train"), batchSize: batchSize, seed: seed,
                        augmentation: augmentation, threads: threads)
}

func sameBatch(_ a: DetectionBatch, _ b: DetectionBatch) -> Bool {
    a.indices == b.indices && a.images.count == b.images.count
        && zip(a.images, b.images).allSatisfy { $0.shape == $1.shape && $0.scalars == $1.scalars }
        && zip(a.targets, b.targets).allSatisfy { $0.boxes == $1.boxes && $0.labels == $1.labels && $0.imageId == $1.imageId }
}

@Test("Batches are a pure function of (seed, epoch, iteration): threads, prefetch and resuming change nothing")
func loaderDeterminism() throws {
    let dir = try tinyDataset()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let one = try tinyLoader(dir, threads: 1), two = try tinyLoader(dir, threads: 2)
    #expect(one.iterationsPerEpoch == 2)
    var direct: [DetectionBatch] = []
    for e in 0..<3 { for i in 0..<2 { direct.append(try one.batch(epoch: e, iteration: i)) } }
    let it = two.makeIterator(epochs: 3)
    var served: [DetectionBatch] = []
    while let b = try it.next() { served.append(b) }
    #expect(served.count == 6)
    #expect(zip(direct, served).allSatisfy(sameBatch))
    #expect(served.map { "\($0.epoch).\($0.iteration)" } == ["0.0", "0.1", "1.0", "1.1", "2.0", "2.1"])
    // Resuming at epoch 1, iteration 1 serves what the full run served from there.
    let resumed = one.makeIterator(epoch: 1, iteration: 1, epochs: 2)
    var rest: [DetectionBatch] = []
    while let b = try resumed.next() { rest.append(b) }
    #expect(rest.count == 3 && zip(rest, served.suffix(3)).allSatisfy(sameBatch))
    // Every epoch is a permutation; another seed gives other orders.
    for e in 0..<3 { #expect(one.order(epoch: e).sorted() == [0, 1, 2]) }
    let other = try tinyLoader(dir, seed: 8)
    #expect((0..<6).contains { one.order(epoch: $0) != other.order(epoch: $0) })
}

@Test("Horizontal flip mirrors pixels and boxes (x1' = W − x2)")
func flipAugmentation() throws {
    let dir = try tinyDataset()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let plain = try tinyLoader(dir, augmentation: Augmentation(flipProbability: 0))
    let flipped = try tinyLoader(dir, augmentation: Augmentation(flipProbability: 1))
    let rng = RandomGenerator(seed: 1)
    let (a, ta) = try plain.sample(0, rng: rng)
    let (b, tb) = try flipped.sample(0, rng: rng)
    #expect(a.shape == [3, 30, 40] && b.shape == [3, 30, 40])
    let pa = a.scalars, pb = b.scalars
    var mirrored = true
    for c in 0..<3 { for y in 0..<30 { for x in 0..<40 where pa[(c * 30 + y) * 40 + x] != pb[(c * 30 + y) * 40 + 39 - x] { mirrored = false } } }
    #expect(mirrored)
    #expect(ta.boxes == [2, 3, 12, 8, 20, 10, 39.5, 30])
    #expect(tb.boxes == [28, 3, 38, 8, 0.5, 10, 20, 30])
    #expect(tb.labels == ta.labels)
    #expect(pa.allSatisfy { $0 >= 0 && $0 <= 1 })
}

@Test("Multi-scale resize: torchvision's output size, PyTorch bilinear pixels, boxes scaled")
func resizeAugmentation() throws {
    #expect(resizedSize(width: 640, height: 360, shorterSide: 320, maxSize: 1333) == (568, 320))
    #expect(resizedSize(width: 640, height: 360, shorterSide: 320, maxSize: 500) == (500, 281))
    let dir = try tinyDataset()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let loader = try tinyLoader(dir, augmentation: Augmentation(flipProbability: 0, shorterSides: [24]))
    let (t, target) = try loader.sample(0, rng: RandomGenerator(seed: 3))
    #expect(t.shape == [3, 24, 32])
    let image = try loader.dataset.loadImage(0)
    let reference = chwFloat(image, width: 40, height: 30).reshaped([1, 3, 30, 40])
        .interpolate(size: (24, 32), mode: .bilinear).scalars
    let worst = zip(t.scalars, reference).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-5, "bilinear resize differs from interpolate by \(worst)")
    let scaled: [Float] = [2, 3, 12, 8, 20, 10, 39.5, 30].map { $0 * (Float(32) / Float(40)) }
    #expect(target.boxes == scaled)
    #expect(target.originalWidth == 40 && target.originalHeight == 30 && target.boxesTensor.shape == [2, 4])
}

@Test("The next batch is decoded in the background before it is asked for")
func prefetchRunsAhead() throws {
    let dir = try tinyDataset()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let it = try tinyLoader(dir).makeIterator(epochs: 1)
    func waitReady() -> Bool {
        for _ in 0..<500 where !it.nextIsReady { Thread.sleep(forTimeInterval: 0.01) }
        return it.nextIsReady
    }
    #expect(waitReady(), "batch 0 was not prepared in the background")
    #expect(try it.next()?.iteration == 0)
    #expect(waitReady(), "batch 1 was not started when batch 0 was served")
    #expect(try it.next()?.iteration == 1)
    #expect(!it.nextIsReady)
    let end = try it.next()
    #expect(end == nil)
}
