import Detection
import TensorCore
import TestSupport
import Testing

@Suite("Matcher, BalancedPositiveNegativeSampler, top-k per level")
struct MatcherTests {
    @Test("matches (−1, −2, low-quality ties) equal torchvision's")
    func matcherParity() throws {
        let fx = try Fixture("det_matching")
        let quality = try fx.tensor("quality")
        for c in try cases(fx) where c.values["high"] != nil {
            let m = try Matcher(highThreshold: c.float("high"), lowThreshold: c.float("low"), allowLowQualityMatches: c.bool("allow_low_quality"))
            #expect(try m(quality) == (try ints(fx, "\(c.name).matches")), "\(c.name)")
        }
    }

    @Test("the low-quality rule restores every tied best prediction of a ground truth")
    func lowQualityTies() throws {
        // gt 0's best is 0.4, tied at predictions 0 and 2 (both between the thresholds)
        let q = Tensor([0.4, 0.1, 0.4, 0.1, 0.2, 0.9, 0.3, 0.2], shape: [2, 4])
        #expect(try Matcher(highThreshold: 0.7, lowThreshold: 0.3, allowLowQualityMatches: true)(q) == [0, 1, 0, -1])
        #expect(try Matcher(highThreshold: 0.7, lowThreshold: 0.3)(q) == [-2, 1, -2, -1])
        #expect(throws: DetectionError.self) { try Matcher(highThreshold: 0.3, lowThreshold: 0.7) }
        #expect(throws: DetectionError("quality: no ground-truth boxes available for one of the images during training")) {
            try Matcher(highThreshold: 0.7, lowThreshold: 0.3)(Tensor.zeros([0, 4]))
        }
    }

    @Test("sampler counts equal torchvision's; samples are distinct, of the right label, seeded")
    func sampler() throws {
        let fx = try Fixture("det_matching")
        let labels = try (0..<3).map { try ints(fx, "labels\($0)") }
        for c in try cases(fx) where c.values["batch_size"] != nil {
            let s = try BalancedPositiveNegativeSampler(batchSizePerImage: c.int("batch_size"), positiveFraction: Double(c.float("positive_fraction")))
            let picked = RandomGenerator.withSeed(7) { s(labels) }
            let counts = try ints(fx, "\(c.name).counts")
            for (i, p) in picked.enumerated() {
                #expect([p.positive.count, p.negative.count] == Array(counts[(2 * i)..<(2 * i + 2)]), "\(c.name) image \(i)")
                #expect(Set(p.positive).count == p.positive.count && p.positive.allSatisfy { labels[i][$0] >= 1 })
                #expect(Set(p.negative).count == p.negative.count && p.negative.allSatisfy { labels[i][$0] == 0 })
            }
            let again = RandomGenerator.withSeed(7) { s(labels) }
            #expect(again.map(\.positive) == picked.map(\.positive) && again.map(\.negative) == picked.map(\.negative))
        }
    }

    @Test("top-k per image and level equals the RPN's _get_top_n_idx")
    func topK() throws {
        let fx = try Fixture("det_matching")
        let c = try #require(try cases(fx).first { $0.name == "topk" })
        let idx = try DetectionHelpers.topKPerLevel(try fx.tensor("objectness"), levelSizes: c.ints("levels"), k: c.int("k"))
        let expected = try ints(fx, "topk"), per = expected.count / 2
        #expect(idx == [Array(expected[0..<per]), Array(expected[per...])])
        #expect(DetectionHelpers.levelIDs([2, 1, 3]) == [0, 0, 1, 2, 2, 2])
        #expect(throws: DetectionError.self) { try DetectionHelpers.topKPerLevel(Tensor.zeros([2, 5]), levelSizes: [2, 2], k: 1) }
    }

    @Test("top-k selection on large levels (quickselect path) equals a full stable sort, ties included")
    func topKSelection() throws {
        let sizes = [5000, 1200, 301, 7]
        let n = sizes.reduce(0, +)
        // Scores on a coarse grid so many tie; the stable order puts the lower index first.
        let values = RandomGenerator.withSeed(3) { Tensor.rand([2, n]).scalars.map { ($0 * 64).rounded() / 64 } }
        for k in [1, 13, 100, 299, 2000] {
            let got = try DetectionHelpers.topKPerLevel(Tensor(values, shape: [2, n]), levelSizes: sizes, k: k)
            for i in 0..<2 {
                var expected: [Int] = [], offset = 0
                for size in sizes {
                    let row = (offset..<offset + size).sorted { values[i * n + $0] > values[i * n + $1] || (values[i * n + $0] == values[i * n + $1] && $0 < $1) }
                    expected += row.prefix(min(k, size)); offset += size
                }
                #expect(got[i] == expected, "k \(k), image \(i)")
            }
        }
    }
}
