import Foundation

/// How Soft-NMS and Matrix NMS turn an overlap into a score decay.
public enum DecayKernel: String, CaseIterable, Sendable {
    case linear, gaussian
}

/// Soft-NMS (Bodla et al., ICCV 2017; mmcv `soft_nms` formulas).
///
/// Repeatedly selects the remaining box with the highest current score (ties: lowest index),
/// then decays every other remaining box j by its IoU `o` with the selection:
/// linear `s_j ·= (o > iouThreshold ? 1 − o : 1)`, gaussian `s_j ·= exp(−o²/σ)`; boxes whose
/// score falls below `scoreThreshold` are dropped. Returns kept indices in selection order
/// (decreasing decayed score) with their decayed scores. Optional `classes`: boxes of other
/// classes are not decayed. Deviation: boxes whose input score is already below
/// `scoreThreshold` are dropped up front (mmcv may return one of them when nothing else is left).
public func softNMS(_ boxes: [Float], scores: [Float], classes: [Int]? = nil, iouThreshold: Double,
                    kernel: DecayKernel = .linear, sigma: Float = 0.5, scoreThreshold: Float = 0.001,
                    format: BoxFormat = .xyxy) throws -> NMSResult {
    let input = try NMSInput(boxes: boxes, scores: scores, classes: classes, format: format, iouThreshold: iouThreshold)
    guard sigma.isFinite, sigma > 0 else { throw BoxError("sigma must be finite and > 0, got \(sigma)") }
    guard scoreThreshold.isFinite else { throw BoxError("score threshold must be finite, got \(scoreThreshold)") }
    var current = scores
    var alive = input.order.filter { scores[$0] >= scoreThreshold }
    var result = NMSResult(keep: [], scores: [])
    while !alive.isEmpty {
        var best = 0
        for k in 1..<alive.count {
            let a = alive[k], b = alive[best]
            if current[a] > current[b] || (current[a] == current[b] && a < b) { best = k }
        }
        let i = alive.remove(at: best)
        result.keep.append(i); result.scores.append(current[i])
        alive.removeAll { j in
            guard input.sameClass(i, j) else { return false }
            let o = input.iou(i, j)
            let weight: Float
            switch kernel {
            case .linear: weight = Double(o) > iouThreshold ? 1 - o : 1
            case .gaussian: weight = exp(-(o * o) / sigma)
            }
            current[j] *= weight
            return current[j] < scoreThreshold
        }
    }
    return result
}

/// Matrix NMS for boxes (SOLOv2, Wang et al. 2020; mmdet `mask_matrix_nms` with box IoU).
///
/// With boxes sorted by score, IoU_ij (i above j) and compensate_i = max_k<i IoU_ki, each box's
/// decay is `min_i f(IoU_ij)/f(compensate_i)`: linear `f(x) = 1 − x`, gaussian
/// `f(x) = exp(−σ·x²)` (σ multiplies, mmdet's default 2.0). New scores = score × decay; boxes
/// with a new score ≥ `scoreThreshold` (all when `nil`, mmdet's default) are returned by
/// decreasing new score (ties by index).
/// Optional `classes` restrict overlaps to the same class (mmdet's label matrix).
public func matrixNMS(_ boxes: [Float], scores: [Float], classes: [Int]? = nil,
                      kernel: DecayKernel = .gaussian, sigma: Float = 2.0, scoreThreshold: Float? = nil,
                      format: BoxFormat = .xyxy) throws -> NMSResult {
    let input = try NMSInput(boxes: boxes, scores: scores, classes: classes, format: format, iouThreshold: nil)
    guard sigma.isFinite, sigma > 0 else { throw BoxError("sigma must be finite and > 0, got \(sigma)") }
    if let t = scoreThreshold, !t.isFinite { throw BoxError("score threshold must be finite, got \(t)") }
    let order = input.order, n = input.count
    var compensate = [Float](repeating: 0, count: n)
    for c in 0..<n {
        var m: Float = 0
        for r in 0..<c where input.sameClass(order[r], order[c]) { m = max(m, input.iou(order[r], order[c])) }
        compensate[c] = m
    }
    func f(_ x: Float) -> Float { kernel == .linear ? 1 - x : exp(-sigma * x * x) }
    var newScores = [Float](repeating: 0, count: n)
    for c in 0..<n {
        var decay: Float = 1
        for r in 0..<c {
            let u = input.sameClass(order[r], order[c]) ? input.iou(order[r], order[c]) : 0
            let d = f(u) / f(compensate[r])
            if d.isNaN || decay.isNaN { decay = .nan } else if d < decay { decay = d }
        }
        newScores[c] = scores[order[c]] * decay
    }
    let kept = (0..<n).filter { scoreThreshold == nil || newScores[$0] >= scoreThreshold! }
    let sorted = kept.sorted { a, b in newScores[a] > newScores[b] || (newScores[a] == newScores[b] && order[a] < order[b]) }
    return NMSResult(keep: sorted.map { order[$0] }, scores: sorted.map { newScores[$0] })
}
