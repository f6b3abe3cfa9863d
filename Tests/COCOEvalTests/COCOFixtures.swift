import COCOEval
import Foundation
import Testing

/// The committed pycocotools fixtures (scripts/fixtures/make_coco.py).
enum COCOFixtures {
    static let cases = ["basic", "crowd", "ties", "many", "tiny", "quirks"]
    static let variants = ["default", "nocats", "maxdets", "mmdet", "honoured"]

    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/coco_\(name)")
    }
    static func gtPath(_ c: String) -> String { url("\(c).gt.json").path }
    static func dtPath(_ c: String) -> String { url("\(c).dt.json").path }

    /// What pycocotools computed for one parameter variant of a case.
    struct Expected: Decodable {
        let stats: [Double]
        let lines: [String]
        /// Absent for "honoured" (it summarises the default variant's arrays).
        let recall: [Double]?
        let precision_sum: [Double]?
        let scores_sum: [Double]?
        let shape: [Int]
        let per_class: [[Double]]
    }

    /// `expected[variant]` of a case (JSONDecoder: correctly rounded doubles).
    static func expected(_ c: String, _ variant: String) throws -> Expected {
        let all = try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: url("\(c).expected.json")))
        return try #require(all[variant])
    }

    static func params(_ variant: String) -> COCOParams {
        var p = COCOParams()
        switch variant {
        case "nocats": p.useCats = false
        case "maxdets": p.maxDets = [1, 5, 20]
        case "mmdet": p = COCOParams(preset: .mmdet)
        case "honoured": p.summary = .honoured
        default: break
        }
        return p
    }
}

/// Records an issue for the first element where `|a − b| > tol`.
func expectAllClose(_ actual: [Double], _ expected: [Double], tol: Double = 0, _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    if let i = actual.indices.first(where: { !(abs(actual[$0] - expected[$0]) <= tol) }) {
        Issue.record("\(what)[\(i)]: \(actual[i]) vs pycocotools \(expected[i])", sourceLocation: sourceLocation)
    }
}
