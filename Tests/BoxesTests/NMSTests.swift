import Boxes
import TestSupport
import Testing

@Suite("B6 B7 NMS family")
struct NMSTests {
    private let thresholds: [(key: String, value: Double)] = [("3", 0.3), ("5", 0.5), ("7", 0.7)]

    @Test("greedy and batched NMS keep lists equal torchvision's (with tied scores)")
    func greedyParity() throws {
        let fx = try Fixture("boxes_nms")
        let boxes = try floats(fx, "boxes"), scores = try floats(fx, "scores"), classes = try ints(fx, "classes")
        for (k, t) in thresholds {
            #expect(try nms(boxes, scores: scores, iouThreshold: t) == ints(fx, "nms_\(k)"), "nms \(t)")
            #expect(try batchedNMS(boxes, scores: scores, classes: classes, iouThreshold: t) == ints(fx, "batched_\(k)"), "batched \(t)")
            let yxyx = try convertBoxes(boxes, from: .xyxy, to: .yxyx)
            #expect(try nms(yxyx, scores: scores, iouThreshold: t, format: .yxyx) == ints(fx, "nms_\(k)"), "nms yxyx \(t)")
        }
    }

    @Test("B6 DIoU-NMS and B7 Cluster-NMS (plain, weighted, DIoU) match the reference code")
    func clusterAndDIoUParity() throws {
        let fx = try Fixture("boxes_nms")
        let boxes = try floats(fx, "boxes"), scores = try floats(fx, "scores")
        for (k, t) in thresholds {
            #expect(try diouNMS(boxes, scores: scores, iouThreshold: t) == ints(fx, "diou_\(k)"), "diou-nms \(t)")
            for v in ClusterNMSVariant.allCases {
                let r = try clusterNMS(boxes, scores: scores, iouThreshold: t, variant: v)
                #expect(r.keep == (try ints(fx, "cluster_\(v.rawValue)_\(k)")), "cluster \(v) \(t)")
                if v == .weighted {
                    expectValues(try #require(r.boxes), try floats(fx, "cluster_weighted_\(k).boxes"), "weighted boxes \(t)")
                }
            }
        }
    }

    @Test("B7 Cluster-NMS equals greedy NMS, Cluster-DIoU-NMS equals DIoU-NMS (random sets, classes)")
    func clusterEqualsGreedy() throws {
        for seed in 0..<6 as Range<UInt64> {
            let n = 150 + Int(seed) * 20
            let boxes = randomBoxes(n, seed: seed, spread: 30), scores = randomScores(n, seed: seed + 100)
            let classes = (0..<n).map { ($0 * 7 + Int(seed)) % 3 }
            for t in [0.0, 0.25, 0.5, 0.8, 1.0] {
                let greedy = try nms(boxes, scores: scores, iouThreshold: t)
                #expect(try clusterNMS(boxes, scores: scores, iouThreshold: t).keep == greedy, "seed \(seed) t \(t)")
                #expect(try clusterNMS(boxes, scores: scores, iouThreshold: t, variant: .weighted).keep == greedy)
                #expect(try clusterNMS(boxes, scores: scores, iouThreshold: t, variant: .diou).keep
                        == diouNMS(boxes, scores: scores, iouThreshold: t))
                #expect(try clusterNMS(boxes, scores: scores, classes: classes, iouThreshold: t).keep
                        == batchedNMS(boxes, scores: scores, classes: classes, iouThreshold: t))
            }
        }
    }

    @Test("Soft-NMS (linear, gaussian) and Matrix NMS (gaussian, linear): kept indices and decayed scores")
    func softAndMatrixParity() throws {
        let fx = try Fixture("boxes_nms")
        let boxes = try floats(fx, "boxes"), scores = try floats(fx, "scores")
        for (k, t) in thresholds {
            let r = try softNMS(boxes, scores: scores, iouThreshold: t, kernel: .linear, sigma: 0.5, scoreThreshold: 1e-3)
            #expect(r.keep == (try ints(fx, "soft_linear_\(k)")), "soft linear \(t)")
            expectValues(r.scores, try floats(fx, "soft_linear_\(k).scores"), "soft linear scores \(t)")
        }
        let g = try softNMS(boxes, scores: scores, iouThreshold: 0.5, kernel: .gaussian, sigma: 0.5, scoreThreshold: 1e-3)
        #expect(g.keep == (try ints(fx, "soft_gaussian")))
        expectValues(g.scores, try floats(fx, "soft_gaussian.scores"), "soft gaussian scores")
        for kernel in DecayKernel.allCases {
            let m = try matrixNMS(boxes, scores: scores, kernel: kernel, sigma: 2, scoreThreshold: 0.05)
            #expect(m.keep == (try ints(fx, "matrix_\(kernel.rawValue)")), "matrix \(kernel)")
            expectValues(m.scores, try floats(fx, "matrix_\(kernel.rawValue).scores"), "matrix \(kernel) scores")
        }
    }

    @Test("NMS results are sorted by decreasing score; the dispatcher maps score filters back to input indices")
    func orderingAndDispatcher() throws {
        let boxes = randomBoxes(200, seed: 9, spread: 25), scores = randomScores(200, seed: 10)
        for method in NMSMethod.allCases {
            let r = try nonMaximumSuppression(boxes, scores: scores, method: method, iouThreshold: 0.5, scoreThreshold: 0.2)
            #expect(zip(r.scores, r.scores.dropFirst()).allSatisfy { $0 >= $1 }, "\(method) order")
            #expect(r.keep.allSatisfy { scores[$0] >= 0.2 }, "\(method) score filter")
            #expect(Set(r.keep).count == r.keep.count)
        }
        let kept = try nonMaximumSuppression(boxes, scores: scores, method: .greedy, iouThreshold: 0.5, scoreThreshold: 0.2).keep
        let chosen = scores.indices.filter { scores[$0] >= 0.2 }
        let sub = chosen.flatMap { boxes[(4 * $0)..<(4 * $0 + 4)] }
        #expect(kept == (try nms(sub, scores: chosen.map { scores[$0] }, iouThreshold: 0.5)).map { chosen[$0] })
        #expect(try nms([], scores: [], iouThreshold: 0.5).isEmpty)
    }

    @Test("NMS bad input: thresholds outside [0, 1], mismatched lengths, NaN scores")
    func badInput() {
        let b: [Float] = [0, 0, 1, 1, 0, 0, 2, 2]
        expectBoxError("iou threshold must lie in [0, 1], got 1.5") { _ = try nms(b, scores: [1, 2], iouThreshold: 1.5) }
        expectBoxError("got -0.1") { _ = try nonMaximumSuppression(b, scores: [1, 2], method: .matrix, iouThreshold: -0.1) }
        expectBoxError("scores: expected 2 values") { _ = try nms(b, scores: [1], iouThreshold: 0.5) }
        expectBoxError("scores: value 1 is not finite") { _ = try nms(b, scores: [1, .nan], iouThreshold: 0.5) }
        expectBoxError("classes: expected 2 values") { _ = try batchedNMS(b, scores: [1, 2], classes: [0], iouThreshold: 0.5) }
        expectBoxError("sigma must be finite and > 0") { _ = try softNMS(b, scores: [1, 2], iouThreshold: 0.5, sigma: 0) }
    }
}
