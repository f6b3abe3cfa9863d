import Foundation

/// The experiment's table as seed 002 reports its runs (mmdetection's COCO summary layout:
/// AP@[.5:.95] at maxDets 100; AP50, AP75, AP small/medium/large and AR small/medium/large at
/// maxDets 1000; AR@100/300/1000), one row per module, plus what the seed leaves out: mean ± sample
/// std over seeds, Δ AP to the baseline with its paired 95% interval (`~` marks an interval that
/// contains 0: not distinguishable from the baseline), and the cost side.
public enum SeedTable {
    /// The seed's twelve summary lines of one result (pycocotools' text, mmdet maxDets).
    public static func seedLines(_ stats: [Double]) -> String {
        let spec: [(String, String, String, Int)] = [
            ("Average Precision  (AP)", "0.50:0.95", "   all", 100), ("Average Precision  (AP)", "0.50     ", "   all", 1000),
            ("Average Precision  (AP)", "0.75     ", "   all", 1000), ("Average Precision  (AP)", "0.50:0.95", " small", 1000),
            ("Average Precision  (AP)", "0.50:0.95", "medium", 1000), ("Average Precision  (AP)", "0.50:0.95", " large", 1000),
            ("Average Recall     (AR)", "0.50:0.95", "   all", 100), ("Average Recall     (AR)", "0.50:0.95", "   all", 300),
            ("Average Recall     (AR)", "0.50:0.95", "   all", 1000), ("Average Recall     (AR)", "0.50:0.95", " small", 1000),
            ("Average Recall     (AR)", "0.50:0.95", "medium", 1000), ("Average Recall     (AR)", "0.50:0.95", " large", 1000),
        ]
        return zip(spec, stats).map { s, v in " \(s.0) @[ IoU=\(s.1) | area=\(s.2) | maxDets=\(s.3) ] = \(String(format: "%.3f", v))\n" }.joined()
    }

    /// Column order of the table: the seed's lines in its order.
    static let columns: [(String, Int)] = [("AP", 0), ("AP50", 1), ("AP75", 2), ("APs", 3), ("APm", 4), ("APl", 5),
                                           ("ARs", 9), ("ARm", 10), ("ARl", 11), ("AR100", 6), ("AR300", 7), ("AR1000", 8)]

    public static func render(_ results: ExperimentResults) -> String {
        let multi = results.rows.contains { $0.runs.count >= 2 }
        var header = ["module", "seeds"] + columns.map(\.0) + ["ΔAP [95% CI]", "params", "GMACs", "train s", "ms/img"]
        var lines: [[String]] = []
        for r in results.rows {
            let mean = r.mean, std = r.std
            var cells = [r.module, "\(r.runs.count)"]
            for (_, i) in columns {
                cells.append(multi && r.runs.count >= 2 ? String(format: "%.3f±%.3f", mean[i], std[i]) : String(format: "%.3f", mean[i]))
            }
            cells.append(delta(r))
            cells.append(String(format: "%.2fM", Double(r.parameters) / 1e6))
            cells.append(String(format: "%.2f", Double(r.macs) / 1e9))
            cells.append(String(format: "%.1f", r.trainSeconds))
            cells.append(String(format: "%.1f", r.inferenceMs))
            lines.append(cells)
        }
        if !multi { header[header.count - 5] = "ΔAP" }
        let widths = header.indices.map { c in max(header[c].count, lines.map { $0[c].count }.max() ?? 0) }
        func row(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - s.count) + s }.joined(separator: "  ")
        }
        var out = "AP@[.5:.95] at maxDets 100; AP50, AP75, APs/m/l and ARs/m/l at maxDets 1000; AR@100/300/1000 (seed 002's mmdetection layout)\n"
        out += row(header) + "\n" + row(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for l in lines { out += row(l) + "\n" }
        if multi {
            out += "mean ± sample std over seeds; ΔAP = paired mean difference of AP to `none` over the same seeds with its 95% t interval; "
                + "~ = the interval contains 0 (not distinguishable from the baseline)\n"
        } else {
            out += "one seed: no spread or interval (run --seeds 2 or more to tell a module from the baseline)\n"
        }
        out += "params / GMACs: the backbone with the module at \(results.plan.measureSize)×\(results.plan.measureSize) (\(results.plan.measureBackbone)\(results.plan.detector.backboneBaseChannels.map { ", base_channels \($0)" } ?? "")); "
            + "train s: training iterations; ms/img: detector inference per validation image\n"
        for f in results.failures { out += "failed: \(f.name): \(f.reason)\n" }
        if !results.missing.isEmpty {
            out += "incomplete: \(results.missing.count) of \(results.plan.configurations.count) configurations have no result yet "
                + "(\(results.missing.prefix(6).map(\.name).joined(separator: ", "))\(results.missing.count > 6 ? ", …" : ""))\n"
        }
        return out
    }

    static func delta(_ r: ModuleSummaryRow) -> String {
        guard let d = r.deltaAP else { return r.module == "none" ? "baseline" : "-" }
        guard let lo = d.low, let hi = d.high else { return String(format: "%+.3f", d.mean) }
        return String(format: "%+.3f [%+.3f, %+.3f]", d.mean, lo, hi) + (d.containsZero == true ? " ~" : "")
    }
}
