import Boxes
import TestSupport
import Testing

@Suite("B1 B3 B4 B5 IoU family")
struct IoUParityTests {
    @Test("B1/B3/B4/B5 pairwise matrices match torchvision (EIoU: reference formula) in every format",
          arguments: IoUKind.allCases)
    func pairwise(kind: IoUKind) throws {
        let fx = try Fixture("boxes_iou")
        let expected = try floats(fx, "pair_\(kind.rawValue)")
        for format in BoxFormat.allCases {
            let suffix = format == .xyxy ? "" : "_\(format.rawValue)"
            let got = try pairwiseIoU(try floats(fx, "b1\(suffix)"), try floats(fx, "b2\(suffix)"), kind: kind, format: format)
            // Other formats go through box_convert arithmetic: a few ulps on coordinates.
            let tol: Float = format == .xyxy || format == .yxyx ? 1e-5 : 1e-4
            expectValues(got, expected, rtol: tol, atol: tol, "\(kind) pairwise, \(format)")
        }
    }

    @Test("B1/B3/B4/B5 aligned values match the diagonal of the reference matrix", arguments: IoUKind.allCases)
    func aligned(kind: IoUKind) throws {
        let fx = try Fixture("boxes_iou")
        let b1 = try floats(fx, "b1"), b2 = try floats(fx, "b2")
        let n = min(b1.count, b2.count) / 4
        let got = try alignedIoU(Array(b1.prefix(4 * n)), Array(b2.prefix(4 * n)), kind: kind)
        expectValues(got, try floats(fx, "aligned_\(kind.rawValue)"), "\(kind) aligned")
    }

    @Test("B1 properties: symmetric, IoU in [0, 1], GIoU in (−1, 1], DIoU/CIoU/EIoU ≤ IoU, self-IoU 1")
    func properties() throws {
        let a = randomBoxes(40, seed: 11), b = randomBoxes(30, seed: 12)
        for kind in IoUKind.allCases {
            let ab = try pairwiseIoU(a, b, kind: kind), ba = try pairwiseIoU(b, a, kind: kind)
            for i in 0..<40 { for j in 0..<30 { #expect(abs(ab[i * 30 + j] - ba[j * 40 + i]) <= 1e-6, "\(kind) symmetry") } }
        }
        let iou = try pairwiseIoU(a, b), giou = try pairwiseIoU(a, b, kind: .giou)
        #expect(iou.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(giou.allSatisfy { $0 > -1 && $0 <= 1 })
        for kind in [IoUKind.diou, .ciou, .eiou] {
            let v = try pairwiseIoU(a, b, kind: kind)
            #expect(zip(v, iou).allSatisfy { $0 <= $1 + 1e-6 }, "\(kind) ≤ IoU")
            #expect(v.allSatisfy { $0 > -2 && $0 <= 1 }, "\(kind) range")
        }
        let selfIoU = try alignedIoU(a, a, kind: .giou)
        #expect(selfIoU.allSatisfy { abs($0 - 1) <= 1e-6 })
        // Big matrix: row chunks in parallel agree with the aligned path.
        let big = randomBoxes(700, seed: 5)
        let m = try pairwiseIoU(big, big, kind: .ciou)
        let diag = try alignedIoU(big, big, kind: .ciou)
        #expect((0..<700).allSatisfy { m[$0 * 700 + $0] == diag[$0] })
    }
}
