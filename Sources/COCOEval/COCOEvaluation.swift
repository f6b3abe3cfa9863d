import Foundation

/// Bounding-box COCO evaluation, pycocotools' `COCOeval(gt, dt, 'bbox')` →
/// `evaluate()` → `accumulate()` → `summarize()`, in float64 with the same arithmetic.
///
/// ```
/// let gt = try COCOGroundTruth(path: "instances_val.json")
/// let dt = try COCODetections(path: "results.json", groundTruth: gt)
/// let result = try COCOEvaluation(groundTruth: gt, detections: dt)
/// print(result.summary.text, terminator: "")
/// ```
public struct COCOEvaluation: Sendable {
    public let params: COCOParams
    /// Categories of the K axis (one pooled "all" entry when `useCats` is off).
    public let categories: [COCOCategory]
    public let accumulation: COCOAccumulation
    public let summary: COCOSummary
    let images: ImageEvaluations

    public init(groundTruth gt: COCOGroundTruth, detections dt: COCODetections, params: COCOParams = COCOParams()) throws {
        try params.validate()
        self.params = params
        categories = params.useCats ? gt.categories : [COCOCategory(id: -1, name: "all")]
        images = ImageEvaluations(groundTruth: gt, detections: dt, params: params)
        accumulation = COCOAccumulation(images, params: params)
        summary = COCOSummary(accumulation, params: params)
    }

    /// The twelve numbers (`COCOeval.stats`).
    public var stats: [Double] { summary.stats }

    /// Per category: the summary's metrics restricted to it (as mmdetection's classwise table,
    /// which slices pycocotools' precision array the same way).
    public func perClass() -> [COCOClassResult] {
        categories.indices.map { k in
            COCOClassResult(category: categories[k],
                            stats: summary.metrics.map { $0.value(accumulation, params: params, category: k) })
        }
    }
}

/// One category's summary numbers (same order as `COCOSummary.metrics`; -1: no ground truth).
public struct COCOClassResult: Sendable {
    public let category: COCOCategory
    public let stats: [Double]
}

extension COCOEvaluation {
    /// A fixed-width per-category table: id, name, then each metric's short label.
    public func perClassTable() -> String {
        let labels = summary.metrics.map(\.shortLabel)
        var out = "category".padding(toLength: 24, withPad: " ", startingAt: 0)
        out += labels.map { $0.leftPadded(9) }.joined() + "\n"
        for row in perClass() {
            let name = "\(row.category.id) \(row.category.name)"
            out += (name.count > 23 ? String(name.prefix(23)) : name).padding(toLength: 24, withPad: " ", startingAt: 0)
            out += row.stats.map { String(format: "%.3f", $0).leftPadded(9) }.joined() + "\n"
        }
        return out
    }
}

extension SummaryMetric {
    /// `AP`, `AP50`, `AP75`, `APs`, `APm`, `APl`, `AR@100`, `ARs@100`, …
    public var shortLabel: String {
        let size = ["all": "", "small": "s", "medium": "m", "large": "l"][area] ?? area
        if isAP {
            let thr = iou.map { String(Int(($0 * 100).rounded())) } ?? ""
            return "AP\(thr)\(size)"
        }
        return "AR\(size)@\(maxDets)"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
