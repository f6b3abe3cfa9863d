@testable import Detection
import TensorCore
import TestSupport
import Testing

@Suite("MultiScaleRoIAlign and LevelMapper")
struct MultiScaleRoIAlignTests {
    @Test("output, box levels and every level's gradient equal torchvision's (FPN, subset of maps, one map, defaults)",
          arguments: [RoIAlignLayout.automatic, .channelsLast, .planar])
    func parity(layout: RoIAlignLayout) throws {
        let fx = try Fixture("det_multiscale")
        let all = try cases(fx)
        #expect(all.count == 4)
        try RoIAlignLayout.$current.withValue(layout) { for c in all {
            let features = try c.strings("features").map { ($0, try fx.tensor("\(c.name).x.\($0)").requiringGrad()) }
            let boxes = [try fx.tensor("\(c.name).boxes0"), try fx.tensor("\(c.name).boxes1")]
            let shapes = c.intLists("image_sizes").map { ($0[0], $0[1]) }
            let m = MultiScaleRoIAlign(featmapNames: c.strings("names"), outputSize: c.int("size"),
                                       samplingRatio: c.int("sampling"), canonicalScale: c.int("canonical_scale"))
            let used = features.filter { c.strings("names").contains($0.0) }.map(\.1)
            let (scales, mapper) = try m.scales(used, imageShapes: shapes)
            #expect(scales == (c.values["scales"] as! [Double]).map { Float($0) }, "\(c.name) scales")
            if fx.has("\(c.name).levels") {
                let corners = boxes.flatMap(\.scalars)
                #expect(mapper.levels(corners).map { $0 ?? -1 } == (try ints(fx, "\(c.name).levels")), "\(c.name) levels")
            }
            let out = try m(features, boxes: boxes, imageShapes: shapes)
            expectClose(out, try fx.tensor("\(c.name).out"), "\(c.name) output")
            (out * (try fx.tensor("\(c.name).gout"))).sum().backward()
            for (name, x) in features {
                expectGradClose(x.grad ?? Tensor.zeros(x.shape), try fx.tensor("\(c.name).gin.\(name)"), "\(c.name) gradient of \(name)")
            }
        } }
    }

    @Test("each row equals roiAlign on the mapped level at that level's scale; rows stay in input order")
    func rowsEqualSingleLevel() throws {
        let maps = [randomFeatures([2, 5, 32, 48], seed: 10), randomFeatures([2, 5, 16, 24], seed: 11),
                    randomFeatures([2, 5, 8, 12], seed: 12)]
        let b0 = Tensor([0, 0, 20, 30, 4, 4, 100, 90, 10, 5, 12, 7], shape: [3, 4]), b1 = Tensor([1, 2, 60, 50], shape: [1, 4])
        let m = MultiScaleRoIAlign(featmapNames: ["a", "b", "c"], outputSize: 3, samplingRatio: 2, canonicalScale: 32)
        let out = try m([("a", maps[0]), ("b", maps[1]), ("c", maps[2])], boxes: [b0, b1], imageShapes: [(128, 192), (120, 190)])
        let mapper = LevelMapper(kMin: 2, kMax: 4, canonicalScale: 32)
        let levels = mapper.levels(b0.scalars + b1.scalars).map { $0! }
        #expect(Set(levels).count == 3, "the boxes should cover every level: \(levels)")
        let rois = Tensor([0, 0, 0, 20, 30, 0, 4, 4, 100, 90, 0, 10, 5, 12, 7, 1, 1, 2, 60, 50], shape: [4, 5])
        for (k, l) in levels.enumerated() {
            let single = try maps[l].roiAlign(boxes: rois, outputSize: (3, 3), spatialScale: 1 / Float(4 << l), samplingRatio: 2)
            expectClose(out.slice(axis: 0, start: k, end: k + 1), single.slice(axis: 0, start: k, end: k + 1), "row \(k)")
        }
    }

    @Test("level mapper: canonical box at level 4, clamping to the pyramid, eps at exact boundaries")
    func levelMapper() {
        let m = LevelMapper(kMin: 2, kMax: 5)
        // sqrt(area) 224 → 4, 112 → 3, 448 → 5, 56 → 2, 10 → clamp 2, 2000 → clamp 5, zero area → 2
        let boxes: [Float] = [0, 0, 224, 224, 0, 0, 112, 112, 0, 0, 448, 448, 0, 0, 56, 56, 0, 0, 10, 10,
                              0, 0, 2000, 2000, 5, 5, 5, 9]
        #expect(m.levels(boxes).map { $0! } == [2, 1, 3, 0, 0, 3, 0])
        #expect(m.levels([4, 0, 0, 4]) == [nil], "negative area has no level")
    }

    @Test("bad input: no named map, no image shapes, box lists not matching the batch")
    func badInput() {
        let x = randomFeatures([2, 1, 4, 4], seed: 13)
        let m = MultiScaleRoIAlign(featmapNames: ["p2"], outputSize: 2, samplingRatio: 2)
        #expect(throws: DetectionError("features: none of featmapNames [\"p2\"] among [\"0\"]")) {
            try m([("0", x)], boxes: [Tensor.zeros([0, 4]), Tensor.zeros([0, 4])], imageShapes: [(16, 16)])
        }
        #expect(throws: DetectionError("imageShapes: empty (one (height, width) per image)")) {
            try m([("p2", x)], boxes: [Tensor.zeros([0, 4]), Tensor.zeros([0, 4])], imageShapes: [])
        }
        #expect(throws: DetectionError("boxes: 3 box lists for a batch of 2 images (one list per image)")) {
            try m([("p2", x)], boxes: [Tensor.zeros([0, 4]), Tensor.zeros([0, 4]), Tensor.zeros([0, 4])], imageShapes: [(16, 16)])
        }
    }
}
