import Foundation

/// One category's false positives and misses at IoU 0.5, area "all", the largest maxDets
/// (the operating point of AP50), with each false positive given one cause:
/// `duplicate` (IoU ≥ 0.5 with a ground truth of its class, already matched), `confusion`
/// (IoU ≥ 0.5 with a ground truth of another class), `localisation` (0.1 ≤ IoU < 0.5 with its
/// class), `background` (the rest). Crowd ground truth does not count as a cause.
public struct COCOConfusionRow: Sendable {
    public let category: COCOCategory
    /// Ground truth not ignored, true positives, false positives, misses (= gt − tp).
    public var groundTruth = 0, truePositives = 0, falsePositives = 0, misses = 0
    public var duplicates = 0, localisation = 0, confusion = 0, background = 0
    /// Confusions by the category index they overlapped (`confusedWith[j]` for categories[j]).
    public var confusedWith: [Int]
}

extension COCOEvaluation {
    /// The confusion-style summary (empty when `useCats` is off: there are no classes to confuse).
    public func confusion(groundTruth gt: COCOGroundTruth, detections dt: COCODetections) -> [COCOConfusionRow] {
        guard params.useCats, !categories.isEmpty, let a = params.areaRanges.firstIndex(where: { $0.label == "all" }),
              let t = params.iouThresholds.firstIndex(of: 0.5) else { return [] }
        let K = categories.count, A = images.areaCount
        let maxDet = params.sortedMaxDets.last!
        let byImage = CellIndex(imageIndex: gt.imageIndex, categoryIndex: gt.categoryIndex, images: gt.imageIds.count, categories: K)
        var rows = [COCOConfusionRow](repeating: COCOConfusionRow(category: categories[0], confusedWith: []), count: K)
        let bit: UInt32 = 1 << UInt32(t)
        rows.withUnsafeMutableBufferPointer { rowsP in
            let out = SendableBox(rowsP)
            parallelFor(K) { k in
                var row = COCOConfusionRow(category: categories[k], confusedWith: [Int](repeating: 0, count: K))
                for i in 0..<images.imageCount { row.groundTruth += Int(images.npig[images.cell(k, i) * A + a]) }
                for e in images.entries(ofCategory: k) where images.rank[e] < maxDet {
                    let tp = images.tp[e * A + a] & bit != 0, ignored = images.ignored[e * A + a] & bit != 0
                    if tp { row.truePositives += 1; continue }
                    if ignored { continue }
                    row.falsePositives += 1
                    let d = Int(images.detection[e])
                    var same = 0.0, other = 0.0, otherClass = -1
                    for j in byImage.order[byImage.range(image: Int(dt.imageIndex[d]), category: nil, categories: K)] {
                        let g = Int(j)
                        if gt.isCrowd[g] { continue }
                        let v = plainIoU(dt.boxes, d, gt.boxes, g)
                        if Int(gt.categoryIndex[g]) == k { same = max(same, v) } else if v > other { other = v; otherClass = Int(gt.categoryIndex[g]) }
                    }
                    if same >= 0.5 { row.duplicates += 1 }
                    else if other >= 0.5 { row.confusion += 1; row.confusedWith[otherClass] += 1 }
                    else if same >= 0.1 { row.localisation += 1 }
                    else { row.background += 1 }
                }
                row.misses = row.groundTruth - row.truePositives
                out.value[k] = row
            }
        }
        return rows
    }
}

/// IoU of two [x, y, w, h] boxes (pycocotools' non-crowd formula).
func plainIoU(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int) -> Double {
    let w = min(a[4 * i] + a[4 * i + 2], b[4 * j] + b[4 * j + 2]) - max(a[4 * i], b[4 * j])
    if w <= 0 { return 0 }
    let h = min(a[4 * i + 1] + a[4 * i + 3], b[4 * j + 1] + b[4 * j + 3]) - max(a[4 * i + 1], b[4 * j + 1])
    if h <= 0 { return 0 }
    let inter = w * h
    return inter / (a[4 * i + 2] * a[4 * i + 3] + b[4 * j + 2] * b[4 * j + 3] - inter)
}

/// The confusion rows as a fixed-width table.
public func confusionTable(_ rows: [COCOConfusionRow]) -> String {
    var out = "category".padding(toLength: 24, withPad: " ", startingAt: 0)
    out += ["gt", "tp", "fp", "dup", "loc", "cls", "bg", "missed"].map { $0.leftPadded(8) }.joined() + "  most confused with\n"
    for r in rows {
        let name = "\(r.category.id) \(r.category.name)"
        out += (name.count > 23 ? String(name.prefix(23)) : name).padding(toLength: 24, withPad: " ", startingAt: 0)
        out += [r.groundTruth, r.truePositives, r.falsePositives, r.duplicates, r.localisation, r.confusion, r.background, r.misses]
            .map { String($0).leftPadded(8) }.joined()
        if let j = r.confusedWith.indices.max(by: { r.confusedWith[$0] < r.confusedWith[$1] }), r.confusedWith[j] > 0 {
            out += "  \(rows[j].category.name) (\(r.confusedWith[j]))"
        }
        out += "\n"
    }
    return out
}
