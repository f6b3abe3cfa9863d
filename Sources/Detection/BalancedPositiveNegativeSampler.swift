import TensorCore

/// Samples a fixed-size, class-balanced minibatch of training examples per image, torchvision's
/// `models.detection._utils.BalancedPositiveNegativeSampler`.
///
/// Labels per example: ≥ 1 positive, 0 negative, −1 (or any other negative) ignored. Per image:
/// `numPos = min(#positives, Int(batchSizePerImage · positiveFraction))`,
/// `numNeg = min(#negatives, batchSizePerImage − numPos)`, each drawn uniformly without
/// replacement. Deviation: the draw uses our `RandomGenerator` (a partial Fisher–Yates
/// shuffle), not torch's `randperm`; the counts and the rules are torchvision's.
public struct BalancedPositiveNegativeSampler: Sendable {
    public let batchSizePerImage: Int
    public let positiveFraction: Double

    public init(batchSizePerImage: Int, positiveFraction: Double) throws {
        guard batchSizePerImage >= 0 else { throw DetectionError("batchSizePerImage must be ≥ 0, got \(batchSizePerImage)") }
        guard positiveFraction >= 0, positiveFraction <= 1 else {
            throw DetectionError("positiveFraction must lie in [0, 1], got \(positiveFraction)")
        }
        self.batchSizePerImage = batchSizePerImage; self.positiveFraction = positiveFraction
    }

    /// Sampled (positive, negative) example indices per image, each list in increasing order
    /// (torchvision returns them as masks).
    public func callAsFunction(_ labels: [[Int]], generator: RandomGenerator = .current) -> [(positive: [Int], negative: [Int])] {
        callAsFunction(labels, generators: labels.map { _ in generator })
    }

    /// The same with one generator per image (`generators[i]` draws image i's samples), so an
    /// image's draw does not depend on the other images of the batch.
    public func callAsFunction(_ labels: [[Int]], generators: [RandomGenerator]) -> [(positive: [Int], negative: [Int])] {
        precondition(generators.count == labels.count, "sampler: \(generators.count) generators for \(labels.count) images")
        return zip(labels, generators).map { l, generator in
            let positive = l.indices.filter { l[$0] >= 1 }, negative = l.indices.filter { l[$0] == 0 }
            let numPos = min(positive.count, Int(Double(batchSizePerImage) * positiveFraction))
            let numNeg = min(negative.count, batchSizePerImage - numPos)
            return (sample(positive, numPos, generator), sample(negative, numNeg, generator))
        }
    }

    private func sample(_ items: [Int], _ k: Int, _ generator: RandomGenerator) -> [Int] {
        var a = items
        for i in 0..<k { a.swapAt(i, i + generator.integer(below: a.count - i)) }
        return a[0..<k].sorted()
    }
}
