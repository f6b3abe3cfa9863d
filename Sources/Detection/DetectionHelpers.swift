import TensorCore

/// Helpers of the RPN and the heads that the engine and the Boxes target lack. The rest comes
/// from elsewhere (reuse, no copies): gathering rows by index lists is `Tensor.indexSelect(axis:indices:)`
/// (differentiable); `clipBoxes`, `removeSmallBoxes` and `batchedNMS` (NMS per level: the level
/// index as the class) are in `Boxes`.
public enum DetectionHelpers {
    /// Indices of the `k` highest scores of each level of each image — torchvision's
    /// `RegionProposalNetwork._get_top_n_idx`: `scores` (N, A) with the levels' anchors
    /// consecutive (`levelSizes` sum to A); per image, level by level, `min(k, size)` indices
    /// (into A) by decreasing score. Deviation: equal scores come in index order (torch's topk
    /// leaves their order unspecified).
    public static func topKPerLevel(_ scores: Tensor, levelSizes: [Int], k: Int) throws -> [[Int]] {
        guard scores.rank == 2 else { throw DetectionError("scores: expected (N, A), got shape \(scores.shape)") }
        guard levelSizes.allSatisfy({ $0 >= 0 }), levelSizes.reduce(0, +) == scores.shape[1] else {
            throw DetectionError("levelSizes: \(levelSizes) do not sum to the \(scores.shape[1]) scores per image")
        }
        guard k >= 0 else { throw DetectionError("k must be ≥ 0, got \(k)") }
        let a = scores.shape[1], s = scores.scalars
        return (0..<scores.shape[0]).map { i in
            var out = [Int](), offset = 0
            for size in levelSizes {
                let row = (offset..<(offset + size)).sorted { s[i * a + $0] > s[i * a + $1] || (s[i * a + $0] == s[i * a + $1] && $0 < $1) }
                out += row.prefix(min(k, size))
                offset += size
            }
            return out
        }
    }

    /// The level of each of the A anchors (0 for the first `levelSizes[0]`, …), the class ids
    /// for a per-level `batchedNMS`.
    public static func levelIDs(_ levelSizes: [Int]) -> [Int] {
        levelSizes.enumerated().flatMap { l, n in Array(repeating: l, count: n) }
    }
}
