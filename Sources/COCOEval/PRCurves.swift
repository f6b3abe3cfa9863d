import Foundation

/// A precision–recall curve at the 101 recall thresholds (area "all", the largest maxDets):
/// pycocotools' `precision[t, :, k, all, -1]`, or its mean over the IoU thresholds (entries > -1).
public struct PRCurve: Sendable {
    /// "0.50", "0.75" or "0.50:0.95".
    public let iou: String
    public let recall: [Double]
    /// -1 where the category has no ground truth.
    public let precision: [Double]
    /// Detection score at each point (empty for the IoU mean).
    public let scores: [Double]
}

extension COCOEvaluation {
    /// Curves for category index `k` (nil: the mean over categories with ground truth) at IoU
    /// 0.50, 0.75 and the mean over all thresholds.
    public func prCurves(category k: Int?) -> [PRCurve] {
        let acc = accumulation
        guard let a = params.areaRanges.firstIndex(where: { $0.label == "all" }) else { return [] }
        let m = acc.M - 1
        let ks = k.map { [$0] } ?? Array(0..<acc.K)
        func mean(_ ts: [Int], _ r: Int, _ array: [Double]) -> Double {
            var sum = 0.0, n = 0
            for t in ts { for kk in ks {
                let v = array[acc.pIndex(t, r, kk, a, m)]
                if v > -1 { sum += v; n += 1 }
            } }
            return n == 0 ? -1 : sum / Double(n)
        }
        var curves: [PRCurve] = []
        for thr in [0.5, 0.75] {
            guard let t = params.iouThresholds.firstIndex(of: thr) else { continue }
            curves.append(PRCurve(iou: String(format: "%.2f", thr), recall: params.recallThresholds,
                                  precision: (0..<acc.R).map { mean([t], $0, acc.precision) },
                                  scores: k == nil ? [] : (0..<acc.R).map { mean([t], $0, acc.scores) }))
        }
        let all = Array(0..<acc.T)
        curves.append(PRCurve(iou: String(format: "%.2f:%.2f", params.iouThresholds.first!, params.iouThresholds.last!),
                              recall: params.recallThresholds, precision: (0..<acc.R).map { mean(all, $0, acc.precision) }, scores: []))
        return curves
    }

    /// Writes `pr_curves.csv` (category_id, category, iou, recall, precision, score; category
    /// "all" is the mean over categories), `pr_all.svg` and one `pr_<category id>.svg` per category.
    public func writePRCurves(to directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw COCOError("--pr-curves \(directory): cannot create the folder: \((error as NSError).localizedDescription)")
        }
        var csv = "category_id,category,iou,recall,precision,score\n"
        let entries: [(Int?, COCOCategory)] = [(nil, COCOCategory(id: -1, name: "all"))] + categories.indices.map { ($0, categories[$0]) }
        for (k, cat) in entries {
            let curves = prCurves(category: k)
            let name = cat.name.contains(",") || cat.name.contains("\"") ? "\"\(cat.name.replacingOccurrences(of: "\"", with: "\"\""))\"" : cat.name
            for c in curves {
                for r in c.recall.indices {
                    csv += "\(cat.id),\(name),\(c.iou),\(c.recall[r]),\(c.precision[r]),\(c.scores.isEmpty ? "" : String(c.scores[r]))\n"
                }
            }
            let title = k == nil ? "all categories (mean)" : "\(cat.name) (id \(cat.id))"
            let file = k == nil ? "pr_all.svg" : "pr_\(cat.id).svg"
            try write(prSVG(curves, title: title), to: dir.appendingPathComponent(file))
        }
        try write(csv, to: dir.appendingPathComponent("pr_curves.csv"))
    }

    private func write(_ text: String, to url: URL) throws {
        do { try Data(text.utf8).write(to: url) } catch {
            throw COCOError("--pr-curves: cannot write \(url.path): \((error as NSError).localizedDescription)")
        }
    }
}

/// An SVG plot of precision against recall, one polyline per curve, with axes and a legend.
func prSVG(_ curves: [PRCurve], title: String) -> String {
    let (w, h, left, top, plot) = (480.0, 400.0, 60.0, 40.0, 320.0)
    func x(_ r: Double) -> String { String(format: "%.2f", left + r * plot) }
    func y(_ p: Double) -> String { String(format: "%.2f", top + (1 - p) * plot) }
    let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    s += "<text x=\"\(Int(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escaped)</text>\n"
    for i in 0...10 {
        let v = Double(i) / 10
        s += "<line x1=\"\(x(v))\" y1=\"\(y(0))\" x2=\"\(x(v))\" y2=\"\(y(1))\" stroke=\"#ddd\"/>"
        s += "<line x1=\"\(x(0))\" y1=\"\(y(v))\" x2=\"\(x(1))\" y2=\"\(y(v))\" stroke=\"#ddd\"/>\n"
        if i % 2 == 0 {
            s += "<text x=\"\(x(v))\" y=\"\(String(format: "%.2f", top + plot + 16))\" text-anchor=\"middle\">\(String(format: "%.1f", v))</text>"
            s += "<text x=\"\(String(format: "%.2f", left - 6))\" y=\"\(y(v))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(String(format: "%.1f", v))</text>\n"
        }
    }
    s += "<rect x=\"\(x(0))\" y=\"\(y(1))\" width=\"\(Int(plot))\" height=\"\(Int(plot))\" fill=\"none\" stroke=\"black\"/>\n"
    s += "<text x=\"\(x(0.5))\" y=\"\(String(format: "%.2f", top + plot + 34))\" text-anchor=\"middle\">recall</text>\n"
    s += "<text transform=\"translate(16 \(y(0.5))) rotate(-90)\" text-anchor=\"middle\">precision</text>\n"
    for (i, c) in curves.enumerated() {
        let color = colors[i % colors.count]
        let points = c.recall.indices.filter { c.precision[$0] > -1 }.map { "\(x(c.recall[$0])),\(y(c.precision[$0]))" }
        if !points.isEmpty {
            s += "<polyline class=\"pr\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
        }
        let valid = c.precision.filter { $0 > -1 }
        let ap = valid.isEmpty ? "n/a" : String(format: "%.3f", valid.reduce(0, +) / Double(valid.count))
        let ly = top + plot - 14 - Double(curves.count - 1 - i) * 16
        s += "<line x1=\"\(x(0.62))\" y1=\"\(String(format: "%.2f", ly))\" x2=\"\(x(0.7))\" y2=\"\(String(format: "%.2f", ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
        s += "<text x=\"\(x(0.72))\" y=\"\(String(format: "%.2f", ly))\" dominant-baseline=\"middle\">IoU \(c.iou): AP \(ap)</text>\n"
    }
    return s + "</svg>\n"
}
