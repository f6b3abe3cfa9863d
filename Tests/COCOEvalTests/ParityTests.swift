import COCOEval
import Foundation
import Testing

@Suite("COCOeval parity with pycocotools (E/COCO)")
struct ParityTests {
    static let all = COCOFixtures.cases.flatMap { c in COCOFixtures.variants.map { (c, $0) } }

    @Test("stats, summary lines, recall, precision and scores equal pycocotools' bit for bit", arguments: all)
    func parity(testCase: String, variant: String) throws {
        let gt = try COCOGroundTruth(path: COCOFixtures.gtPath(testCase))
        let dt = try COCODetections(path: COCOFixtures.dtPath(testCase), groundTruth: gt)
        let ev = try COCOEvaluation(groundTruth: gt, detections: dt, params: COCOFixtures.params(variant))
        let x = try COCOFixtures.expected(testCase, variant)
        let tag = "\(testCase)/\(variant)"
        expectAllClose(ev.stats, x.stats, "\(tag) stats")
        if !x.lines.isEmpty { #expect(ev.summary.text == x.lines.map { $0 + "\n" }.joined(), "\(tag) summary text") }
        let acc = ev.accumulation
        #expect([acc.T, acc.R, acc.K, acc.A, acc.M] == x.shape, "\(tag) shape")
        if let recall = x.recall, let precision = x.precision_sum, let scores = x.scores_sum {
            expectAllClose(acc.recall, recall, "\(tag) recall")
            expectAllClose(sumOverR(acc.precision, acc), precision, tol: 1e-8, "\(tag) precision")
            expectAllClose(sumOverR(acc.scores, acc), scores, tol: 1e-8, "\(tag) scores")
        }
        let ours = ev.perClass()
        #expect(ours.count == x.per_class.count, "\(tag) per-class rows")
        for (row, want) in zip(ours, x.per_class) { expectAllClose(row.stats, want, "\(tag) class \(row.category.id)") }
    }

    /// Σ over the recall axis of a [T][R][K][A][M] array → [T][K][A][M].
    func sumOverR(_ a: [Double], _ acc: COCOAccumulation) -> [Double] {
        var out = [Double](repeating: 0, count: acc.T * acc.K * acc.A * acc.M)
        for t in 0..<acc.T { for r in 0..<acc.R { for k in 0..<acc.K { for aa in 0..<acc.A { for m in 0..<acc.M {
            out[((t * acc.K + k) * acc.A + aa) * acc.M + m] += a[acc.pIndex(t, r, k, aa, m)]
        } } } } }
        return out
    }

    @Test("'ignore' is overwritten by 'iscrowd' as in pycocotools; useIgnoreFlag honours it")
    func ignoreFlag() throws {
        let gt = try groundTruth("""
            {"images": [{"id": 1}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0, "ignore": 1},
                             {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "area": 100, "iscrowd": 0}],
             "categories": [{"id": 1, "name": "a"}]}
            """)
        let dt = try detections(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]"#, gt)
        let plain = try COCOEvaluation(groundTruth: gt, detections: dt)
        #expect(plain.stats[8] == 0.5, "both ground truths count, one found")
        var p = COCOParams()
        p.useIgnoreFlag = true
        let honoured = try COCOEvaluation(groundTruth: gt, detections: dt, params: p)
        #expect(honoured.stats[8] == 0, "the ignored one and its detection drop out; the other is missed")
        #expect(honoured.stats[0] == 0)
    }

    @Test("evaluation is deterministic and the same from memory as from a file")
    func deterministic() throws {
        let gt = try COCOGroundTruth(path: COCOFixtures.gtPath("many"))
        let dt = try COCODetections(path: COCOFixtures.dtPath("many"), groundTruth: gt)
        let a = try COCOEvaluation(groundTruth: gt, detections: dt)
        let gt2 = try COCOGroundTruth(data: Data(contentsOf: COCOFixtures.url("many.gt.json")), source: "gt")
        let dt2 = try COCODetections(data: Data(contentsOf: COCOFixtures.url("many.dt.json")), source: "dt", groundTruth: gt2)
        let b = try COCOEvaluation(groundTruth: gt2, detections: dt2)
        #expect(a.accumulation.precision == b.accumulation.precision)
        #expect(a.stats == b.stats)
    }
}
