import Foundation

extension COCOEvaluation {
    /// The `--json` document: `stats` (the summary numbers), `metrics` (their labels and
    /// settings), `params`, `per_class` and, when given, `confusion`. Doubles are written in
    /// their shortest round-trip form, so Python's `json` reads back the same values.
    public func jsonReport(confusion: [COCOConfusionRow]? = nil) -> String {
        var out = "{\n  \"stats\": [\(stats.map(jsonNumber).joined(separator: ", "))],\n"
        out += "  \"metrics\": [\n"
        out += summary.metrics.map { m in
            "    {\"label\": \(jsonString(m.shortLabel)), \"type\": \(m.isAP ? "\"AP\"" : "\"AR\""), \"iou\": \(m.iou.map(jsonNumber) ?? "null"), \"area\": \(jsonString(m.area)), \"max_dets\": \(m.maxDets)}"
        }.joined(separator: ",\n") + "\n  ],\n"
        out += "  \"params\": {\"iou_type\": \"bbox\", \"use_cats\": \(params.useCats), \"max_dets\": \(params.sortedMaxDets), \"summary\": \(jsonString(params.summary.rawValue)), \"use_ignore_flag\": \(params.useIgnoreFlag)},\n"
        out += "  \"per_class\": [\n"
        out += perClass().map { r in
            "    {\"category_id\": \(r.category.id), \"name\": \(jsonString(r.category.name)), \"stats\": [\(r.stats.map(jsonNumber).joined(separator: ", "))]}"
        }.joined(separator: ",\n") + "\n  ]"
        if let confusion {
            out += ",\n  \"confusion\": {\"iou\": 0.5, \"area\": \"all\", \"max_dets\": \(params.sortedMaxDets.last!), \"classes\": [\n"
            out += confusion.map { r in
                let with = r.confusedWith.indices.filter { r.confusedWith[$0] > 0 }
                    .map { "\"\(categories[$0].id)\": \(r.confusedWith[$0])" }.joined(separator: ", ")
                return "    {\"category_id\": \(r.category.id), \"name\": \(jsonString(r.category.name)), \"gt\": \(r.groundTruth), \"tp\": \(r.truePositives), \"fp\": \(r.falsePositives), \"missed\": \(r.misses), \"fp_duplicate\": \(r.duplicates), \"fp_localisation\": \(r.localisation), \"fp_confusion\": \(r.confusion), \"fp_background\": \(r.background), \"confused_with\": {\(with)}}"
            }.joined(separator: ",\n") + "\n  ]}"
        }
        return out + "\n}\n"
    }
}

func jsonNumber(_ v: Double) -> String {
    guard v.isFinite else { return "null" }
    if v == v.rounded(), abs(v) < 1e15 { return String(format: "%.1f", v) }
    return "\(v)"
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
