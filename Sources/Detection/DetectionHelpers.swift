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
                out += topIndices(s, base: i * a, range: offset..<(offset + size), k: k)
                offset += size
            }
            return out
        }
    }

    /// The `k` indices of `range` with the largest `s[base + index]`, in descending order (ties:
    /// lower index first, as a stable sort): quickselect, then a sort of those `k` only.
    static func topIndices(_ s: [Float], base: Int, range: Range<Int>, k: Int) -> [Int] {
        func before(_ x: Int, _ y: Int) -> Bool { s[base + x] > s[base + y] || (s[base + x] == s[base + y] && x < y) }
        var idx = Array(range)
        let k = min(k, idx.count)
        if k < idx.count / 4 {
            var lo = 0, hi = idx.count - 1
            while lo < hi {   // Hoare partition around the median of three until position k−1 is in place
                let mid = lo + (hi - lo) / 2
                if before(idx[mid], idx[lo]) { idx.swapAt(mid, lo) }
                if before(idx[hi], idx[lo]) { idx.swapAt(hi, lo) }
                if before(idx[hi], idx[mid]) { idx.swapAt(hi, mid) }
                let pivot = idx[mid]
                var i = lo, j = hi
                while i <= j {
                    while before(idx[i], pivot) { i += 1 }
                    while before(pivot, idx[j]) { j -= 1 }
                    if i <= j { idx.swapAt(i, j); i += 1; j -= 1 }
                }
                if k - 1 <= j { hi = j } else if k - 1 >= i { lo = i } else { break }
            }
            idx.removeLast(idx.count - k)
        }
        idx.sort(by: before)
        return Array(idx.prefix(k))
    }

    /// The level of each of the A anchors (0 for the first `levelSizes[0]`, …), the class ids
    /// for a per-level `batchedNMS`.
    public static func levelIDs(_ levelSizes: [Int]) -> [Int] {
        levelSizes.enumerated().flatMap { l, n in Array(repeating: l, count: n) }
    }
}
