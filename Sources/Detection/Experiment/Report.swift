import Boxes
import Foundation

/// The experiment's self-contained `report.html`: inline SVG charts and PNG data URIs only (no
/// scripts, no network). Charts carry ids: `chart-ap` (AP bars with ±std error bars), `chart-pr`
/// (mean precision–recall curves per module at IoU 0.50 and 0.50:0.95, COCOeval's), `chart-per-class`
/// (AP per category and module), `chart-detections` (a validation image with the baseline's and the
/// best module's detections side by side), `chart-attention` (a plugged module's gate overlaid).
public enum ExperimentReport {
    public static let chartIDs = ["chart-ap", "chart-pr", "chart-per-class", "chart-detections", "chart-attention"]

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// The report. `image` is the first validation image (for detections and the attention map);
    /// `attention` the captured gate (nil: the section says why it is missing, `attentionNote`).
    public static func html(_ results: ExperimentResults, image: RGBImage?, attention: AttentionMap?, attentionNote: String) throws -> String {
        let plan = results.plan
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>AttentionZoo experiment</title>
            <style>body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}pre{font-size:10px;background:#f6f6f6;padding:8px;overflow-x:auto}
            h2{margin-top:32px;border-bottom:1px solid #ccc}.note{color:#555;font-size:13px}.row{display:flex;gap:24px;flex-wrap:wrap}
            figure{margin:0}figcaption{font-size:13px;color:#444}</style></head><body>
            <h1>Attention modules in the backbone: ablation</h1>

            """
        h += "<p class=\"note\">preset \(esc(plan.preset)), detector \(esc(plan.detectorKind)), placement <code>\(esc(plan.placement))</code>, "
            + "\(plan.seeds) seed(s), \(plan.trainImages) training / \(plan.valImages) validation images, categories \(esc(plan.categories.joined(separator: ", "))).</p>\n"
        if plan.detectorKind == "stub" {
            h += "<p class=\"note\"><b>Stub detector:</b> it ignores the backbone and its plugins; these numbers check the experiment's plumbing, not the attention.</p>\n"
        }
        for f in results.failures {
            h += "<p class=\"note\"><b>Failed:</b> \(esc(f.name)): \(esc(f.reason))</p>\n"
        }
        if !results.missing.isEmpty {
            h += "<p class=\"note\"><b>Incomplete:</b> \(results.missing.count) configuration(s) have no result: \(esc(results.missing.map(\.name).joined(separator: ", "))).</p>\n"
        }
        h += "<h2>Table</h2>\n<pre>\(esc(SeedTable.render(results)))</pre>\n"
        h += "<h2>AP@[.5:.95] per module</h2>\n" + apChart(results)
        h += "<h2>Precision–recall (mean over categories, COCOeval)</h2>\n" + prChart(results)
        h += "<h2>AP per category</h2>\n" + perClassChart(results)
        h += "<h2>Detections on a validation image</h2>\n" + (try detectionsChart(results, image: image))
        h += "<h2>Attention map</h2>\n" + (try attentionChart(attention, image: image, note: attentionNote))
        return h + "</body></html>\n"
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    static func apChart(_ r: ExperimentResults) -> String {
        let n = max(1, r.rows.count), bw = 56.0, left = 50.0, top = 20.0, ph = 220.0
        let width = left + Double(n) * bw + 20, height = top + ph + 60
        let maxV = max(0.05, r.rows.map { $0.mean[0] + ($0.std[0].isFinite ? $0.std[0] : 0) }.max() ?? 0.05) * 1.15
        func y(_ v: Double) -> Double { top + ph - ph * v / maxV }
        var s = "<svg id=\"chart-ap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        for k in 0...4 {
            let v = maxV * Double(k) / 4
            s += "<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(y(v) + 4))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.2f", v))</text>\n"
        }
        for (i, row) in r.rows.enumerated() {
            let x = left + Double(i) * bw + 8, m = row.mean[0], sd = row.std[0]
            let color = row.module == "none" ? "#7f7f7f" : (row.deltaAP?.containsZero == false ? (row.deltaAP!.mean > 0 ? "#2ca02c" : "#d62728") : "#1f77b4")
            s += "<rect x=\"\(f(x))\" y=\"\(f(y(m)))\" width=\"\(f(bw - 16))\" height=\"\(f(max(0, ph * m / maxV)))\" fill=\"\(color)\"/>\n"
            if sd.isFinite {
                let cx = x + (bw - 16) / 2
                s += "<path d=\"M\(f(cx)) \(f(y(m - sd)))V\(f(y(m + sd)))M\(f(cx - 6)) \(f(y(m - sd)))h12M\(f(cx - 6)) \(f(y(m + sd)))h12\" stroke=\"#000\" stroke-width=\"1.5\"/>\n"
            }
            s += "<text x=\"\(f(x + (bw - 16) / 2))\" y=\"\(f(y(m) - 4 - (sd.isFinite ? ph * sd / maxV : 0)))\" font-size=\"10\" text-anchor=\"middle\">\(String(format: "%.3f", m))</text>\n"
            s += "<text x=\"\(f(x + (bw - 16) / 2))\" y=\"\(f(top + ph + 14))\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-35 \(f(x + (bw - 16) / 2)) \(f(top + ph + 14)))\">\(esc(row.module))</text>\n"
        }
        s += "<line x1=\"\(f(left))\" x2=\"\(f(width - 10))\" y1=\"\(f(top + ph))\" y2=\"\(f(top + ph))\" stroke=\"#000\"/>\n</svg>\n"
        return "<figure>" + s + "<figcaption>mean AP over seeds; error bars ± sample std (≥ 2 seeds); green/red: Δ AP interval excludes 0, blue: not distinguishable, grey: baseline.</figcaption></figure>\n"
    }

    static func prChart(_ r: ExperimentResults) -> String {
        var s = "<div id=\"chart-pr\" class=\"row\">\n"
        for (title, key) in [("IoU 0.50", 0), ("IoU 0.50:0.95", 1)] {
            let w = 360.0, hgt = 300.0, l = 40.0, t = 20.0, pw = 300.0, ph = 240.0
            var p = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w + 140))\" height=\"\(f(hgt))\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
            p += "<rect x=\"\(f(l))\" y=\"\(f(t))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#000\"/>\n"
            p += "<text x=\"\(f(l + pw / 2))\" y=\"14\" font-size=\"12\" text-anchor=\"middle\">\(title)</text>"
            p += "<text x=\"\(f(l + pw / 2))\" y=\"\(f(t + ph + 28))\" font-size=\"11\" text-anchor=\"middle\">recall</text>"
            p += "<text x=\"12\" y=\"\(f(t + ph / 2))\" font-size=\"11\" transform=\"rotate(-90 12 \(f(t + ph / 2)))\" text-anchor=\"middle\">precision</text>\n"
            for k in 0...4 {
                let v = Double(k) / 4
                p += "<text x=\"\(f(l + pw * v))\" y=\"\(f(t + ph + 12))\" font-size=\"9\" text-anchor=\"middle\">\(v)</text>"
                p += "<text x=\"\(f(l - 3))\" y=\"\(f(t + ph - ph * v + 3))\" font-size=\"9\" text-anchor=\"end\">\(v)</text>\n"
            }
            for (i, row) in r.rows.enumerated() {
                let curves = row.runs.map { key == 0 ? $0.pr50 : $0.prMean }.filter { !$0.isEmpty }
                guard let first = curves.first else { continue }
                let mean = first.indices.map { j in ExperimentStatistics.mean(curves.map { max(0, $0[j]) }) }
                let pts = mean.enumerated().map { j, v in "\(f(l + pw * Double(j) / Double(max(1, mean.count - 1)))),\(f(t + ph - ph * v))" }
                let color = palette[i % palette.count]
                p += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" points=\"\(pts.joined(separator: " "))\"/>\n"
                p += "<rect x=\"\(f(l + pw + 14))\" y=\"\(f(t + Double(i) * 16))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
                p += "<text x=\"\(f(l + pw + 28))\" y=\"\(f(t + Double(i) * 16 + 9))\" font-size=\"11\">\(esc(row.module))</text>\n"
            }
            s += p + "</svg>\n"
        }
        return s + "</div><p class=\"note\">precision at COCOeval's 101 recall thresholds, area all, maxDets 1000, mean over categories and seeds (absent points as 0).</p>\n"
    }

    static func perClassChart(_ r: ExperimentResults) -> String {
        let cats = r.plan.categories
        let cw = 110.0, rh = 22.0, l = 110.0, t = 40.0
        let width = l + Double(cats.count) * cw + 10, height = t + Double(r.rows.count) * rh + 10
        var s = "<svg id=\"chart-per-class\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        for (j, c) in cats.enumerated() {
            s += "<text x=\"\(f(l + Double(j) * cw + cw / 2))\" y=\"\(f(t - 8))\" font-size=\"11\" text-anchor=\"middle\">\(esc(String(c.prefix(16))))</text>\n"
        }
        for (i, row) in r.rows.enumerated() {
            let y = t + Double(i) * rh
            s += "<text x=\"\(f(l - 6))\" y=\"\(f(y + 15))\" font-size=\"11\" text-anchor=\"end\">\(esc(row.module))</text>\n"
            for j in cats.indices {
                let vals = row.runs.compactMap { $0.perClassAP.count > j && $0.perClassAP[j] >= 0 ? $0.perClassAP[j] : nil }
                let v = vals.isEmpty ? Double.nan : ExperimentStatistics.mean(vals)
                let shade = v.isFinite ? Int(255 - 180 * max(0, min(1, v))) : 240
                s += "<rect x=\"\(f(l + Double(j) * cw + 1))\" y=\"\(f(y + 1))\" width=\"\(f(cw - 2))\" height=\"\(f(rh - 2))\" fill=\"rgb(\(shade),\(shade),255)\"/>"
                s += "<text x=\"\(f(l + Double(j) * cw + cw / 2))\" y=\"\(f(y + 15))\" font-size=\"11\" text-anchor=\"middle\">\(v.isFinite ? String(format: "%.3f", v) : "–")</text>\n"
            }
        }
        return "<figure>" + s + "</svg><figcaption>AP@[.5:.95] per category (mean over seeds; darker = higher).</figcaption></figure>\n"
    }

    static func detectionsChart(_ r: ExperimentResults, image: RGBImage?) throws -> String {
        var s = "<div id=\"chart-detections\" class=\"row\">\n"
        guard let image else { return s + "<p>no validation image</p></div>\n" }
        let panels = [r.rows.first { $0.module == "none" }, r.bestModule].compactMap { $0 }
        for row in panels {
            guard let run = row.runs.first, let p = run.preview.first else { continue }
            let keep = p.scores.indices.filter { p.scores[$0] >= 0.3 }.prefix(20)
            let idx = keep.isEmpty ? Array(p.scores.indices.prefix(3)) : Array(keep)
            let boxes = idx.flatMap { Array(p.boxes[4 * $0..<4 * $0 + 4]) }
            let labels = idx.map { i -> String in
                let k = p.labels[i] - 1
                return (k >= 0 && k < r.plan.categories.count ? r.plan.categories[k] : "?") + String(format: " %.2f", p.scores[i])
            }
            var plot = try BoxPlot(boxes: boxes, width: image.width, height: image.height, labels: labels, background: image)
            plot.dashPattern = []
            let title = row.module == "none" ? "baseline (none)" : "best module: \(row.module)"
            s += "<figure>" + scaled(try plot.svg(), width: image.width, height: image.height) + "<figcaption>\(esc(title)), seed \(run.seed): \(idx.count) detections (score ≥ 0.3, else the top 3)</figcaption></figure>\n"
        }
        return s + "</div>\n"
    }

    /// A standalone SVG drawn at least 420 px wide (its viewBox keeps the image's coordinates).
    static func scaled(_ svg: String, width: Int, height: Int) -> String {
        let k = max(1, 420.0 / Double(width))
        let svg = svg.replacingOccurrences(of: "font-size=\"12\"", with: "font-size=\"\(f(12 / k))\"")
        return svg.replacingOccurrences(of: "width=\"\(width)\" height=\"\(height)\" viewBox", with:
            "width=\"\(f(Double(width) * k))\" height=\"\(f(Double(height) * k))\" viewBox", options: [], range: svg.range(of: "width=\"\(width)\" height=\"\(height)\" viewBox"))
    }

    static func attentionChart(_ a: AttentionMap?, image: RGBImage?, note: String) throws -> String {
        guard let a, let image else { return "<div id=\"chart-attention\"><p>\(esc(note))</p></div>\n" }
        let png = Data(try PNGCodec.encode(a.overlay(on: image))).base64EncodedString()
        let orig = Data(try PNGCodec.encode(image)).base64EncodedString()
        let w = image.width, h = image.height, k = max(1, 420.0 / Double(w))
        var s = "<div id=\"chart-attention\" class=\"row\">"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(Double(2 * w + 90) * k))\" height=\"\(f(Double(h + 30) * k))\" viewBox=\"0 0 \(2 * w + 90) \(h + 30)\">"
        s += "<image x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" href=\"data:image/png;base64,\(orig)\"/>"
        s += "<image x=\"\(w + 10)\" y=\"0\" width=\"\(w)\" height=\"\(h)\" href=\"data:image/png;base64,\(png)\"/>\n"
        for k in 0..<20 {
            let (r, g, b) = AttentionMap.color(Float(19 - k) / 19)
            s += "<rect x=\"\(2 * w + 24)\" y=\"\(f(Double(k) * Double(h) / 20))\" width=\"14\" height=\"\(f(Double(h) / 20 + 0.5))\" fill=\"rgb(\(Int(r)),\(Int(g)),\(Int(b)))\"/>"
        }
        let lo = a.values.min() ?? 0, hi = a.values.max() ?? 0, font = f(11 / k)
        s += "<text x=\"\(2 * w + 42)\" y=\"\(font)\" font-size=\"\(font)\">\(String(format: "%.3f", hi))</text>"
        s += "<text x=\"\(2 * w + 42)\" y=\"\(h)\" font-size=\"\(font)\">\(String(format: "%.3f", lo))</text></svg></div>\n"
        s += "<p class=\"note\">\(esc(a.module)) at <code>\(esc(a.place))</code> (\(a.width)×\(a.height) map): per-pixel least-squares scale of the "
            + "module's output to its input, Σ<sub>c</sub> x·y / Σ<sub>c</sub> x² (1 = unchanged), upsampled bilinearly and overlaid (blue low, red high); "
            + "\(esc(a.weightsNote)).</p>\n"
        return s
    }
}
