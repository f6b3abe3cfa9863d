import Boxes
import TestSupport
import Testing

@Suite("B1 box formats and geometry")
struct BoxFormatTests {
    @Test("B1 conversions match torchvision box_convert (and the seed's yxyx)")
    func conversionsMatchTorchvision() throws {
        let fx = try Fixture("boxes_iou")
        let xyxy = try floats(fx, "b1")
        for format in [BoxFormat.xywh, .cxcywh, .yxyx] {
            let expected = try floats(fx, "b1_\(format.rawValue)")
            expectValues(try convertBoxes(xyxy, from: .xyxy, to: format), expected, "xyxy → \(format)")
            expectValues(try convertBoxes(expected, from: format, to: .xyxy), xyxy, "\(format) → xyxy")
        }
    }

    @Test("B1 property: every format round trip returns the boxes")
    func roundTrips() throws {
        let boxes = randomBoxes(50, seed: 3)
        for a in BoxFormat.allCases {
            let inA = try convertBoxes(boxes, from: .xyxy, to: a)
            for b in BoxFormat.allCases {
                let back = try convertBoxes(try convertBoxes(inA, from: a, to: b), from: b, to: .xyxy)
                expectValues(back, boxes, rtol: 1e-5, atol: 1e-5, "\(a) → \(b) → xyxy")
            }
        }
    }

    @Test("B1 area, clip and remove-small match torchvision")
    func geometry() throws {
        let fx = try Fixture("boxes_iou")
        let b = try floats(fx, "b1")
        expectValues(try boxArea(b), try floats(fx, "area"), "box_area")
        expectValues(try boxArea(try floats(fx, "b1_cxcywh"), format: .cxcywh), try floats(fx, "area"), rtol: 1e-4, atol: 1e-4, "box_area cxcywh")
        let shifted = b.map { $0 - 3 }
        // Shifted boxes may have negative corners; clip is defined on valid boxes only.
        expectValues(try clipBoxes(shifted, width: 12, height: 15), try floats(fx, "clip"), "clip_boxes_to_image")
        #expect(try removeSmallBoxes(b, minSize: 4) == ints(fx, "remove_small"))
    }

    @Test("B1 bad input: wrong counts, non-finite values, inverted corners name the argument")
    func badInput() {
        expectBoxError("boxes1: expected N×4") { _ = try pairwiseIoU([1, 2, 3], [0, 0, 1, 1]) }
        expectBoxError("boxes2: box 0 has a non-finite") { _ = try pairwiseIoU([0, 0, 1, 1], [0, .nan, 1, 1]) }
        expectBoxError("boxes1: box 1 has x2 < x1") { _ = try pairwiseIoU([0, 0, 1, 1, 5, 0, 2, 1], [0, 0, 1, 1]) }
        expectBoxError("y2 < y1") { _ = try boxArea([0, 5, 1, 1]) }
        expectBoxError("x2 < x1") { _ = try boxArea([0, 0, -1, 1], format: .xywh) }
        expectBoxError("expected shape N×4") { try validateBoxes([0, 0, 1, 1], shape: [4], name: "B.npy") }
        expectBoxError("box 0 has a non-finite coordinate (inf) at column 2") {
            _ = try convertBoxes([0, 0, .infinity, 1], from: .xyxy, to: .xywh)
        }
        expectBoxError("has 1 boxes but boxes2 has 2") { _ = try alignedIoU([0, 0, 1, 1], [0, 0, 1, 1, 0, 0, 2, 2]) }
    }
}
