import Foundation

/// pycocotools' `accumulate()`: precision at the 101 recall thresholds, recall and the scores
/// there, per IoU threshold, category, area range and maxDets. Absent entries are -1.
///
/// Layouts are numpy's C order: `precision[T][R][K][A][M]`, `recall[T][K][A][M]`,
/// `scores[T][R][K][A][M]` (`K` is 1 when `useCats` is off).
public struct COCOAccumulation: Sendable {
    public let T: Int, R: Int, K: Int, A: Int, M: Int
    public internal(set) var precision: [Double]
    public internal(set) var recall: [Double]
    public internal(set) var scores: [Double]

    @inline(__always) public func pIndex(_ t: Int, _ r: Int, _ k: Int, _ a: Int, _ m: Int) -> Int {
        (((t * R + r) * K + k) * A + a) * M + m
    }
    @inline(__always) public func rIndex(_ t: Int, _ k: Int, _ a: Int, _ m: Int) -> Int {
        ((t * K + k) * A + a) * M + m
    }
}

extension COCOAccumulation {
    init(_ ev: ImageEvaluations, params p: COCOParams) {
        T = p.iouThresholds.count
        R = p.recallThresholds.count
        K = ev.cellCategories
        A = ev.areaCount
        let maxDets = p.sortedMaxDets
        M = maxDets.count
        precision = [Double](repeating: -1, count: T * R * K * A * M)
        recall = [Double](repeating: -1, count: T * K * A * M)
        scores = [Double](repeating: -1, count: T * R * K * A * M)
        let (T, A) = (self.T, self.A)
        let recThrs = p.recallThresholds
        let spacing = 1.0.ulp   // np.spacing(1)
        let shape = self
        precision.withUnsafeMutableBufferPointer { precP in
        recall.withUnsafeMutableBufferPointer { recP in
        scores.withUnsafeMutableBufferPointer { scoreP in
            let out = SendableBox((precP, recP, scoreP))
            parallelFor(K) { k in
                let (precP, recP, scoreP) = out.value
                let entries = ev.entries(ofCategory: k)
                // Stable descending sort by score over the concatenation (image order, rank).
                var order = Array(Int32(entries.lowerBound)..<Int32(entries.upperBound))
                order.sort { a, b in
                    let sa = ev.score[Int(a)], sb = ev.score[Int(b)]
                    return sa > sb || (sa == sb && a < b)
                }
                let sortedRank = order.map { ev.rank[Int($0)] }
                let sortedScores = order.map { ev.score[Int($0)] }
                var events = [[TPEvent]](repeating: [], count: T)
                var suffixMax = [Double]()
                var tpCount = [Int](repeating: 0, count: T), fpCount = [Int](repeating: 0, count: T)
                let all: UInt32 = T == 32 ? ~0 : (1 << UInt32(T)) - 1
                for a in 0..<A {
                    var npig = 0
                    for i in 0..<ev.imageCount { npig += Int(ev.npig[ev.cell(k, i) * A + a]) }
                    if npig == 0 { continue }
                    let tpSorted = order.map { ev.tp[Int($0) * A + a] }
                    let igSorted = order.map { ev.ignored[Int($0) * A + a] }
                    for (m, maxDet) in maxDets.enumerated() {
                        // Cumulative counts per threshold; a true positive is the only step where
                        // recall rises and precision can rise, so only those steps are kept.
                        // `fpAll` counts detections that are false positives at every threshold.
                        for t in 0..<T { events[t].removeAll(keepingCapacity: true); tpCount[t] = 0; fpCount[t] = 0 }
                        var fpAll = 0, first = -1
                        for j in 0..<order.count where sortedRank[j] < maxDet {
                            let counted = ~igSorted[j] & all, tpm = tpSorted[j] & counted
                            if first < 0 { first = j }
                            if tpm == 0 {
                                if counted == all { fpAll += 1; continue }
                                if counted == 0 { continue }
                            }
                            for t in 0..<T where counted & (1 << UInt32(t)) != 0 {
                                if tpm & (1 << UInt32(t)) != 0 {
                                    tpCount[t] += 1
                                    events[t].append(TPEvent(position: j, tp: tpCount[t], fp: fpCount[t] + fpAll))
                                } else {
                                    fpCount[t] += 1
                                }
                            }
                        }
                        for t in 0..<T {
                            recP[shape.rIndex(t, k, a, m)] = first >= 0 ? Double(tpCount[t]) / Double(npig) : 0
                            writeCurve(events[t], first: first, npig: npig, recThrs: recThrs, sortedScores: sortedScores,
                                       suffixMax: &suffixMax, spacing: spacing) { r, p, s in
                                let idx = shape.pIndex(t, r, k, a, m)
                                precP[idx] = p
                                scoreP[idx] = s
                            }
                        }
                    }
                }
            }
        }}}
    }
}

/// A true positive in the score-sorted list: its position (in the list before the maxDets cut,
/// which only indexes scores) and the counts up to it.
struct TPEvent {
    let position: Int
    let tp: Int
    let fp: Int
}

/// pycocotools' interpolated precision at the recall thresholds from the true-positive steps:
/// `pr = tp / (fp + tp + eps)`, made non-increasing from the right, read at the first position
/// whose recall `tp / npig` reaches each threshold (`searchsorted` left); 0 past the end.
/// `first` is the position of the first detection kept (-1: none).
/// Between true positives recall is flat and precision falls, so the right-to-left maximum at
/// such a position is the maximum over the true positives from there on: same values, bit for bit.
@inline(__always)
func writeCurve(_ events: [TPEvent], first: Int, npig: Int, recThrs: [Double], sortedScores: [Double],
                suffixMax: inout [Double], spacing: Double, _ write: (Int, Double, Double) -> Void) {
    let n = events.count
    suffixMax.removeAll(keepingCapacity: true)
    suffixMax.append(contentsOf: repeatElement(0, count: n + 1))
    var running = 0.0
    for e in stride(from: n - 1, through: 0, by: -1) {
        let ev = events[e]
        let tp = Double(ev.tp)
        let pr = tp / (Double(ev.fp) + tp + spacing)
        if pr > running { running = pr }
        suffixMax[e] = running
    }
    var e = 0
    for (r, thr) in recThrs.enumerated() {
        if first < 0 { write(r, 0, 0); continue }
        // recall ≥ thr ≤ 0 holds from position 0; above 0 it first holds at a true positive.
        if thr <= 0 { write(r, suffixMax[0], sortedScores[first]); continue }
        while e < n, Double(events[e].tp) / Double(npig) < thr { e += 1 }
        if e == n { write(r, 0, 0); continue }
        write(r, suffixMax[e], sortedScores[events[e].position])
    }
}
