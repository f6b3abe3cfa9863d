import Foundation

/// One summary number: AP or AR at an IoU threshold (nil: mean over all), area range, maxDets.
public struct SummaryMetric: Sendable, Equatable {
    public let isAP: Bool
    public let iou: Double?
    public let area: String
    public let maxDets: Int

    /// pycocotools' line: ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.123`.
    public func line(_ value: Double, params p: COCOParams) -> String {
        let title = isAP ? "Average Precision" : "Average Recall"
        let iouText = iou.map { String(format: "%0.2f", $0) }
            ?? String(format: "%0.2f:%0.2f", p.iouThresholds.first!, p.iouThresholds.last!)
        return " \(title.padding(toLength: max(18, title.count), withPad: " ", startingAt: 0)) \(isAP ? "(AP)" : "(AR)") @[ IoU=\(iouText.padding(toLength: max(9, iouText.count), withPad: " ", startingAt: 0)) | area=\(area.leftPadded(6)) | maxDets=\(String(maxDets).leftPadded(3)) ] = \(String(format: "%0.3f", value))"
    }

    /// The metrics of the summary for `params`: pycocotools' twelve, or the honoured layout.
    public static func layout(_ p: COCOParams) -> [SummaryMetric] {
        let md = p.sortedMaxDets
        let (apDets, arDets): (Int, [Int]) = p.summary == .pycocotools ? (md[2], Array(md.prefix(3))) : (md.last!, md)
        let headline = p.summary == .pycocotools ? 100 : apDets
        var out = [SummaryMetric(isAP: true, iou: nil, area: "all", maxDets: headline),
                   SummaryMetric(isAP: true, iou: 0.5, area: "all", maxDets: apDets),
                   SummaryMetric(isAP: true, iou: 0.75, area: "all", maxDets: apDets)]
        for area in ["small", "medium", "large"] { out.append(SummaryMetric(isAP: true, iou: nil, area: area, maxDets: apDets)) }
        for d in arDets { out.append(SummaryMetric(isAP: false, iou: nil, area: "all", maxDets: d)) }
        for area in ["small", "medium", "large"] { out.append(SummaryMetric(isAP: false, iou: nil, area: area, maxDets: apDets)) }
        return out
    }

    /// pycocotools' `_summarize`: the mean of the entries > -1 (numpy's pairwise sum), -1 when
    /// none; `category` restricts to one column of K (per-class tables).
    public func value(_ acc: COCOAccumulation, params p: COCOParams, category: Int? = nil) -> Double {
        let areas = p.areaRanges.indices.filter { p.areaRanges[$0].label == area }
        let dets = p.sortedMaxDets.indices.filter { p.sortedMaxDets[$0] == maxDets }
        let ts = iou.map { thr in p.iouThresholds.indices.filter { p.iouThresholds[$0] == thr } }
            ?? Array(p.iouThresholds.indices)
        let ks = category.map { [$0] } ?? Array(0..<acc.K)
        var values: [Double] = []
        // numpy's advanced indexing s[:, :, :, aind, mind] pairs aind with mind element-wise.
        let pairs = areas.count == dets.count ? Array(zip(areas, dets))
                  : areas.count == 1 ? dets.map { (areas[0], $0) } : dets.count == 1 ? areas.map { ($0, dets[0]) } : []
        for t in ts {
            if isAP {
                for r in 0..<acc.R { for k in ks { for (a, m) in pairs {
                    let v = acc.precision[acc.pIndex(t, r, k, a, m)]
                    if v > -1 { values.append(v) }
                } } }
            } else {
                for k in ks { for (a, m) in pairs {
                    let v = acc.recall[acc.rIndex(t, k, a, m)]
                    if v > -1 { values.append(v) }
                } }
            }
        }
        return values.isEmpty ? -1 : pairwiseSum(values[...]) / Double(values.count)
    }
}

/// numpy's pairwise summation (`pairwise_sum` in loops_utils): blocks of 8 accumulators up to
/// 128 values, halves above.
func pairwiseSum(_ a: ArraySlice<Double>) -> Double {
    let n = a.count, s = a.startIndex
    if n < 8 {
        var res = -0.0
        for i in a.indices { res += a[i] }
        return res
    }
    if n <= 128 {
        var r = (a[s], a[s + 1], a[s + 2], a[s + 3], a[s + 4], a[s + 5], a[s + 6], a[s + 7])
        var i = 8
        while i < n - n % 8 {
            r.0 += a[s + i]; r.1 += a[s + i + 1]; r.2 += a[s + i + 2]; r.3 += a[s + i + 3]
            r.4 += a[s + i + 4]; r.5 += a[s + i + 5]; r.6 += a[s + i + 6]; r.7 += a[s + i + 7]
            i += 8
        }
        var res = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
        while i < n { res += a[s + i]; i += 1 }
        return res
    }
    var n2 = n / 2
    n2 -= n2 % 8
    return pairwiseSum(a[s..<s + n2]) + pairwiseSum(a[(s + n2)...])
}

/// The summary: metrics with their values, printable in pycocotools' format.
public struct COCOSummary: Sendable {
    public let metrics: [SummaryMetric]
    public let stats: [Double]
    let params: COCOParams

    public init(_ acc: COCOAccumulation, params: COCOParams) {
        self.params = params
        metrics = SummaryMetric.layout(params)
        stats = metrics.map { $0.value(acc, params: params) }
    }

    /// The lines pycocotools' `summarize()` prints, newline-terminated.
    public var text: String {
        zip(metrics, stats).map { $0.line($1, params: params) + "\n" }.joined()
    }
}
