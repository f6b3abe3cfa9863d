import COCOEval
import Foundation
import Testing

@Suite("false-positive causes and misses per class")
struct ConfusionTests {
    @Test("each false positive gets one cause: duplicate, class confusion, localisation, background")
    func causes() throws {
        // Image 1: a cat at [0,0,10,10], a dog at [100,100,10,10], a cat nobody finds at [300,300,10,10].
        let gt = try groundTruth("""
            {"images": [{"id": 1}],
             "annotations": [
              {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
              {"id": 2, "image_id": 1, "category_id": 2, "bbox": [100, 100, 10, 10], "area": 100, "iscrowd": 0},
              {"id": 3, "image_id": 1, "category_id": 1, "bbox": [300, 300, 10, 10], "area": 100, "iscrowd": 0}],
             "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
            """)
        let dt = try detections("""
            [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
             {"image_id": 1, "category_id": 1, "bbox": [1, 0, 10, 10], "score": 0.8},
             {"image_id": 1, "category_id": 1, "bbox": [100, 100, 10, 10], "score": 0.7},
             {"image_id": 1, "category_id": 1, "bbox": [6, 0, 10, 10], "score": 0.6},
             {"image_id": 1, "category_id": 1, "bbox": [500, 500, 10, 10], "score": 0.5},
             {"image_id": 1, "category_id": 2, "bbox": [100, 100, 10, 10], "score": 0.9}]
            """, gt)
        let ev = try COCOEvaluation(groundTruth: gt, detections: dt)
        let rows = ev.confusion(groundTruth: gt, detections: dt)
        #expect(rows.count == 2)
        let cat = rows[0], dog = rows[1]
        #expect((cat.groundTruth, cat.truePositives, cat.falsePositives, cat.misses) == (2, 1, 4, 1))
        #expect((cat.duplicates, cat.confusion, cat.localisation, cat.background) == (1, 1, 1, 1))
        #expect(cat.confusedWith == [0, 1])
        #expect((dog.groundTruth, dog.truePositives, dog.falsePositives, dog.misses) == (1, 1, 0, 0))
        let table = confusionTable(rows)
        #expect(table.contains("most confused with") && table.contains("dog (1)"))
        var p = COCOParams()
        p.useCats = false
        #expect(try COCOEvaluation(groundTruth: gt, detections: dt, params: p).confusion(groundTruth: gt, detections: dt).isEmpty)
    }

    @Test("PR curves are pycocotools' precision slices; the mean skips -1")
    func curves() throws {
        let gt = try COCOGroundTruth(path: COCOFixtures.gtPath("basic"))
        let dt = try COCODetections(path: COCOFixtures.dtPath("basic"), groundTruth: gt)
        let ev = try COCOEvaluation(groundTruth: gt, detections: dt)
        let acc = ev.accumulation
        let c = ev.prCurves(category: 0)
        #expect(c.map(\.iou) == ["0.50", "0.75", "0.50:0.95"])
        #expect(c[0].precision == (0..<acc.R).map { acc.precision[acc.pIndex(0, $0, 0, 0, acc.M - 1)] })
        let noGT = ev.prCurves(category: 4)   // class_9 has no ground truth
        #expect(noGT[0].precision.allSatisfy { $0 == -1 })
        let mean = ev.prCurves(category: nil)
        let col = (0..<4).map { acc.precision[acc.pIndex(0, 0, $0, 0, acc.M - 1)] }
        #expect(abs(mean[0].precision[0] - col.reduce(0, +) / 4) < 1e-15)
    }
}
