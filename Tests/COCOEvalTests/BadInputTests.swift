import COCOEval
import Foundation
import Testing

/// A small valid ground truth: two images, two categories, three annotations.
let goodGT = """
{"images": [{"id": 1}, {"id": 2}],
 "annotations": [
  {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
  {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 50, 10, 10], "area": 100, "iscrowd": 0},
  {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 100, 100], "area": 10000, "iscrowd": 1}],
 "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
"""

func groundTruth(_ json: String = goodGT) throws -> COCOGroundTruth {
    try COCOGroundTruth(data: Data(json.utf8), source: "gt.json")
}

func detections(_ json: String, _ gt: COCOGroundTruth) throws -> COCODetections {
    try COCODetections(data: Data(json.utf8), source: "dt.json", groundTruth: gt)
}

/// Expects a `COCOError` whose message contains every one of `mentions`.
func expectCOCOError(_ mentions: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning \(mentions)", sourceLocation: sourceLocation)
    } catch let e as COCOError {
        for m in mentions {
            #expect(e.description.contains(m), "'\(e.description)' should mention '\(m)'", sourceLocation: sourceLocation)
        }
        #expect(!e.description.contains("\n"), "one line", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("COCO input errors name the file and the entry")
struct BadInputTests {
    @Test("malformed or incomplete ground truth", arguments: [
        (#"{"images": [{"id": 1}], "annotations": ["#, ["gt.json", "invalid JSON", "line 1"]),
        (#"{"images": [], "annotations": []}"#, ["gt.json", "'categories'"]),
        (#"{"images": [{"id": 1}, {"file_name": "a"}], "annotations": [], "categories": []}"#, ["gt.json", "images[1]", "'id'"]),
        (#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 1}], "categories": [{"id": 1}]}"#,
         ["gt.json", "annotations[0]", "'bbox'"]),
        (#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, -2, 3], "area": 1}], "categories": [{"id": 1}]}"#,
         ["gt.json", "annotations[0]", "negative width"]),
        (#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 3], "area": 1}], "categories": [{"id": 1}]}"#,
         ["gt.json", "annotations[0]", "4 numbers"]),
        (#"{"images": [{"id": 1}], "annotations": [{"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}, {"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}], "categories": [{"id": 1}]}"#,
         ["gt.json", "annotations[1]", "id 4"]),
        (#"{"images": [{"id": "a"}], "annotations": [], "categories": []}"#, ["gt.json", "images[0]", "must be a number"]),
        (#"{"images": [{"id": 1.5}], "annotations": [], "categories": []}"#, ["gt.json", "images[0]", "integer"]),
        (#"{"images": [], "annotations": [], "categories": []} x"#, ["gt.json", "unexpected data"]),
        (#"[1, 2]"#, ["gt.json", "expected a JSON object"]),
        (#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "iscrowd": "no"}], "categories": [{"id": 1}]}"#,
         ["gt.json", "annotations[0]", "iscrowd must be a number"]),
        (#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, NaN, 1, 1]}], "categories": [{"id": 1}]}"#,
         ["gt.json", "annotations[0]", "non-finite"]),
    ])
    func badGroundTruth(json: String, mentions: [String]) {
        expectCOCOError(mentions) { _ = try groundTruth(json) }
    }

    @Test("malformed detections, unknown images, NaN scores, negative sizes", arguments: [
        (#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5},"#, ["dt.json", "invalid JSON"]),
        (#"{"image_id": 1}"#, ["dt.json", "JSON list"]),
        (#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}, {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]"#,
         ["dt.json", "detection 1", "'score'"]),
        (#"[{"image_id": 999, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]"#, ["dt.json", "detection 0", "image_id 999", "gt.json"]),
        (#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}, {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN}]"#,
         ["dt.json", "detection 1", "score is nan"]),
        (#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, -1], "score": 0.5}]"#, ["dt.json", "detection 0", "negative height"]),
        (#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": "high"}]"#, ["dt.json", "detection 0", "score must be a number"]),
        (#"[{"image_id": 1, "category_id": 1, "bbox": "0 0 1 1", "score": 0.5}]"#, ["dt.json", "detection 0", "bbox"]),
        (#"[3]"#, ["dt.json", "detection 0", "not an object"]),
    ])
    func badDetections(json: String, mentions: [String]) throws {
        let gt = try groundTruth()
        expectCOCOError(mentions) { _ = try detections(json, gt) }
    }

    @Test("a missing file is named")
    func missingFile() {
        expectCOCOError(["/nonexistent/gt.json", "cannot read"]) { _ = try COCOGroundTruth(path: "/nonexistent/gt.json") }
    }

    @Test("every truncation of a valid file is an error, never a crash")
    func truncations() throws {
        let gtBytes = Array(try Data(contentsOf: COCOFixtures.url("basic.gt.json")))
        let dtBytes = Array(try Data(contentsOf: COCOFixtures.url("basic.dt.json")))
        let gt = try groundTruth()
        for cut in stride(from: 0, to: gtBytes.count - 1, by: 7) {
            #expect(throws: COCOError.self) { try COCOGroundTruth(data: Data(gtBytes[..<cut]), source: "gt") }
        }
        for cut in stride(from: 0, to: dtBytes.count - 1, by: 5) {
            #expect(throws: COCOError.self) {
                try COCODetections(data: Data(dtBytes[..<cut]), source: "dt", groundTruth: gt)
            }
        }
    }

    @Test("lenient cases load with one warning each and evaluate")
    func lenient() throws {
        let gt = try groundTruth("""
            {"images": [{"id": 1}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10]},
                             {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 1, "iscrowd": 0},
                             {"id": 3, "image_id": 1, "category_id": 9, "bbox": [0, 0, 10, 10], "area": 1, "iscrowd": 0}],
             "categories": [{"id": 1, "name": "a"}]}
            """)
        #expect(gt.annotationCount == 1)
        #expect(gt.area == [100])
        for m in ["'area'", "'iscrowd'", "images not in 'images'", "categories not in 'categories'"] {
            #expect(gt.warnings.contains { $0.contains(m) && $0.hasPrefix("gt.json") }, "warning about \(m)")
        }
        let dt = try detections(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}, {"image_id": 1, "category_id": 5, "bbox": [0, 0, 10, 10], "score": 0.9}]"#, gt)
        #expect(dt.count == 1)
        #expect(dt.warnings.count == 1 && dt.warnings[0].contains("detection 1"))
        let ev = try COCOEvaluation(groundTruth: gt, detections: dt)
        #expect(abs(ev.stats[0] - 1) < 1e-12 && abs(ev.stats[1] - 1) < 1e-12, "\(ev.stats)")  // 1/(1 + eps)
        let empty = try detections("[]", gt)
        #expect(empty.warnings.count == 1)
        let none = try COCOEvaluation(groundTruth: gt, detections: empty)
        #expect(none.stats[0] == 0 && none.stats[8] == 0)
    }

    @Test("no categories, no images, no annotations: every number -1, nothing crashes", arguments: [true, false])
    func emptyGroundTruth(useCats: Bool) throws {
        for json in [#"{"images": [], "annotations": [], "categories": []}"#,
                     #"{"images": [{"id": 1}], "annotations": [], "categories": [{"id": 1}]}"#] {
            let gt = try groundTruth(json)
            let dt = try detections("[]", gt)
            var p = COCOParams()
            p.useCats = useCats
            let ev = try COCOEvaluation(groundTruth: gt, detections: dt, params: p)
            #expect(ev.stats == [Double](repeating: -1, count: 12))
            _ = ev.confusion(groundTruth: gt, detections: dt)
            _ = ev.prCurves(category: nil)
            _ = ev.jsonReport()
        }
    }

    @Test("option errors", arguments: [([1, 10], "3 values"), ([0, 10, 100], "positive"), ([10, 10, 100], "repeats")])
    func badParams(maxDets: [Int], mention: String) throws {
        var p = COCOParams()
        p.maxDets = maxDets
        expectCOCOError([mention]) { try p.validate() }
    }
}
