import Kernels

/// Which matrix Cluster-NMS iterates on and what it returns (catalogue B7).
public enum ClusterNMSVariant: String, CaseIterable, Sendable {
    /// Plain Cluster-NMS on the IoU matrix: the same keep list as greedy ``nms``.
    case plain
    /// Weighted Cluster-NMS: the plain keep list, and each kept box replaced by the average of
    /// itself (weight: its score) and the lower-scored boxes it overlaps with IoU > threshold
    /// (weight: IoU × score).
    case weighted
    /// Cluster-DIoU-NMS on the DIoU matrix: the same keep list as ``diouNMS``.
    case diou
}

/// The outcome of an NMS variant that also rescores or moves boxes.
public struct NMSResult: Sendable, Equatable {
    /// Kept indices into the input, by decreasing (final) score.
    public var keep: [Int]
    /// The final score of each kept box (the input score unless the method rescored it).
    public var scores: [Float]
    /// Kept boxes after merging (N_keep×4, input format) for weighted Cluster-NMS; else `nil`.
    public var boxes: [Float]?

    public init(keep: [Int], scores: [Float], boxes: [Float]? = nil) {
        self.keep = keep; self.scores = scores; self.boxes = boxes
    }
}

/// Cluster-NMS (Zheng et al., "Enhancing Geometric Factors in Model Learning and Inference",
/// arXiv:2005.03572, catalogue B7).
///
/// With boxes sorted by score and X the strictly upper-triangular overlap matrix, iterate
/// `E = diag(max_col(X·E_prev) ≤ t)` until it stops changing; the fixed point is the greedy
/// keep set. The matrix is held as a bit set of `X > t` (all the iteration reads); the
/// weighted variant recomputes the overlaps of kept rows. Quirk: a NaN overlap (two empty
/// boxes) never suppresses, as in greedy NMS (the author's `max` would propagate it).
public func clusterNMS(_ boxes: [Float], scores: [Float], classes: [Int]? = nil, iouThreshold: Double,
                       variant: ClusterNMSVariant = .plain, format: BoxFormat = .xyxy) throws -> NMSResult {
    let input = try NMSInput(boxes: boxes, scores: scores, classes: classes, format: format, iouThreshold: iouThreshold)
    let n = input.count
    let order = input.order
    let words = (n + 63) / 64
    // above[r] = bits c (c > r, sorted positions) with overlap(order[r], order[c]) > t.
    var above = [UInt64](repeating: 0, count: n * words)
    above.withUnsafeMutableBufferPointer { buf in
        let bits = UncheckedSendable(buf.baseAddress!)
        Threading.parallelFor(n, minChunk: 64) { rows in
            for r in rows {
                let i = order[r], row = bits.value + r * words
                for c in (r + 1)..<max(n, r + 1) {
                    let j = order[c]
                    guard input.sameClass(i, j) else { continue }
                    let x = variant == .diou ? input.diou(i, j) : input.iou(i, j)
                    if Double(x) > iouThreshold { row[c >> 6] |= 1 << UInt64(c & 63) }
                }
            }
        }
    }
    var kept = [Bool](repeating: true, count: n)
    while true {
        var hit = [UInt64](repeating: 0, count: words)
        for r in 0..<n where kept[r] {
            for w in 0..<words { hit[w] |= above[r * words + w] }
        }
        let next = (0..<n).map { hit[$0 >> 6] & (1 << UInt64($0 & 63)) == 0 }
        if next == kept { break }
        kept = next
    }
    let keepRows = (0..<n).filter { kept[$0] }
    let keep = keepRows.map { order[$0] }
    var result = NMSResult(keep: keep, scores: keep.map { scores[$0] })
    if variant == .weighted {
        var merged = CornerBoxes([], format: .xyxy)
        for r in keepRows {
            let i = order[r]
            var ws = scores[i]
            var sx1 = ws * input.boxes.x1[i], sy1 = ws * input.boxes.y1[i]
            var sx2 = ws * input.boxes.x2[i], sy2 = ws * input.boxes.y2[i]
            for c in (r + 1)..<max(n, r + 1) where above[r * words + c >> 6] & (1 << UInt64(c & 63)) != 0 {
                let j = order[c]
                let w = input.iou(i, j) * scores[j]
                ws += w
                sx1 += w * input.boxes.x1[j]; sy1 += w * input.boxes.y1[j]
                sx2 += w * input.boxes.x2[j]; sy2 += w * input.boxes.y2[j]
            }
            merged.x1.append(sx1 / ws); merged.y1.append(sy1 / ws)
            merged.x2.append(sx2 / ws); merged.y2.append(sy2 / ws)
        }
        result.boxes = merged.flat(format)
    }
    return result
}
