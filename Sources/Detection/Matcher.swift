import TensorCore

/// Assigns each prediction (anchor, proposal) to its best ground-truth box, torchvision's
/// `models.detection._utils.Matcher`.
///
/// For quality matrix (M ground truth × N predictions), prediction j gets
/// `argmax_i quality[i, j]` (the first maximum) when that maximum ≥ `highThreshold`,
/// `belowLowThreshold` (−1) when it is < `lowThreshold`, `betweenThresholds` (−2) otherwise.
/// With `allowLowQualityMatches`, every prediction that attains some ground truth's highest
/// quality (ties included) keeps its argmax match whatever its value (Faster R-CNN's RPN rule;
/// torchvision's quirk kept: a ground truth overlapping nothing restores every prediction with
/// quality 0 to its argmax).
public struct Matcher: Sendable {
    public static let belowLowThreshold = -1
    public static let betweenThresholds = -2
    public let highThreshold: Float, lowThreshold: Float
    public let allowLowQualityMatches: Bool

    public init(highThreshold: Float, lowThreshold: Float, allowLowQualityMatches: Bool = false) throws {
        guard lowThreshold <= highThreshold else {
            throw DetectionError("lowThreshold (\(lowThreshold)) must not exceed highThreshold (\(highThreshold))")
        }
        self.highThreshold = highThreshold; self.lowThreshold = lowThreshold
        self.allowLowQualityMatches = allowLowQualityMatches
    }

    /// Match per prediction for `quality` (M, N); throws, as torchvision does, when M or N is 0.
    public func callAsFunction(_ quality: Tensor) throws -> [Int] {
        guard quality.rank == 2 else { throw DetectionError("quality: expected an (M, N) matrix, got shape \(quality.shape)") }
        let m = quality.shape[0], n = quality.shape[1]
        guard m > 0 else { throw DetectionError("quality: no ground-truth boxes available for one of the images during training") }
        guard n > 0 else { throw DetectionError("quality: no proposal boxes available for one of the images during training") }
        let q = quality.scalars
        var best = [Float](repeating: 0, count: n), arg = [Int](repeating: 0, count: n)
        for j in 0..<n {
            var b = q[j], a = 0
            for i in 1..<m where q[i * n + j] > b { b = q[i * n + j]; a = i }
            best[j] = b; arg[j] = a
        }
        var matches = (0..<n).map { j in
            best[j] < lowThreshold ? Matcher.belowLowThreshold : best[j] < highThreshold ? Matcher.betweenThresholds : arg[j]
        }
        if allowLowQualityMatches {
            for i in 0..<m {
                let row = q[(i * n)..<(i * n + n)]
                let top = row.max()!
                for j in 0..<n where q[i * n + j] == top { matches[j] = arg[j] }
            }
        }
        return matches
    }
}
