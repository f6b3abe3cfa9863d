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
        let (T, R, A) = (self.T, self.R, self.A)
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
                var rc = [Double](), pr = [Double](), tpMask = [UInt32](), igMask = [UInt32](), sortedScores = [Double]()
                for a in 0..<A {
                    var npig = 0
                    for i in 0..<ev.imageCount { npig += Int(ev.npig[ev.cell(k, i) * A + a]) }
                    if npig == 0 { continue }
                    for (m, maxDet) in maxDets.enumerated() {
                        tpMask.removeAll(keepingCapacity: true)
                        igMask.removeAll(keepingCapacity: true)
                        sortedScores.removeAll(keepingCapacity: true)
                        for e in order where ev.rank[Int(e)] < maxDet {
                            tpMask.append(ev.tp[Int(e) * A + a])
                            igMask.append(ev.ignored[Int(e) * A + a])
                            sortedScores.append(ev.score[Int(e)])
                        }
                        let nd = tpMask.count
                        for t in 0..<T {
                            let bit: UInt32 = 1 << UInt32(t)
                            rc.removeAll(keepingCapacity: true)
                            pr.removeAll(keepingCapacity: true)
                            var tp = 0.0, fp = 0.0
                            for j in 0..<nd {
                                if igMask[j] & bit == 0 {
                                    if tpMask[j] & bit != 0 { tp += 1 } else { fp += 1 }
                                }
                                rc.append(tp / Double(npig))
                                pr.append(tp / (fp + tp + spacing))
                            }
                            recP[shape.rIndex(t, k, a, m)] = nd > 0 ? rc[nd - 1] : 0
                            if nd > 1 {
                                for j in stride(from: nd - 1, to: 0, by: -1) where pr[j] > pr[j - 1] { pr[j - 1] = pr[j] }
                            }
                            var pi = 0
                            for r in 0..<R {
                                while pi < nd, rc[pi] < recThrs[r] { pi += 1 }
                                let idx = shape.pIndex(t, r, k, a, m)
                                if pi < nd {
                                    precP[idx] = pr[pi]
                                    scoreP[idx] = sortedScores[pi]
                                } else {
                                    precP[idx] = 0
                                    scoreP[idx] = 0
                                }
                            }
                        }
                    }
                }
            }
        }}}
    }
}
