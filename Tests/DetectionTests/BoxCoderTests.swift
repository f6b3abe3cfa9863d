import Detection
import TensorCore
import TestSupport
import Testing

@Suite("BoxCoder")
struct BoxCoderTests {
    @Test("encode and decode (with the log(1000/16) clamp) equal torchvision's, weights (1,1,1,1) and (10,10,5,5)")
    func parity() throws {
        let fx = try Fixture("det_coder")
        for c in try cases(fx) {
            let w = (c.values["weights"] as! [Double]).map { Float($0) }
            let coder = BoxCoder(weights: (w[0], w[1], w[2], w[3]))
            let proposals = try fx.tensor("\(c.name).proposals")
            expectClose(try coder.encode(try fx.tensor("\(c.name).gt"), references: proposals), try fx.tensor("\(c.name).targets"),
                        "\(c.name) encode")
            expectClose(try coder.decode(try fx.tensor("\(c.name).codes"), references: proposals), try fx.tensor("\(c.name).decoded"),
                        "\(c.name) decode")
        }
    }

    @Test("decode ∘ encode is the identity")
    func roundTrip() throws {
        let boxes = Tensor([0, 0, 10, 20, -5, 3, 40, 9, 1.5, 2.5, 3, 30], shape: [3, 4])
        let refs = Tensor([2, 1, 12, 18, 0, 0, 30, 30, 1, 1, 2, 2], shape: [3, 4])
        for coder in [BoxCoder(weights: (1, 1, 1, 1)), BoxCoder(weights: (10, 10, 5, 5))] {
            let back = try coder.decode(try coder.encode(boxes, references: refs), references: refs)
            expectClose(back.reshaped([3, 4]), boxes, rtol: 1e-5, atol: 1e-4, "round trip \(coder.weights)")
        }
    }

    @Test("decode clamps dw and dh at log(1000/16)")
    func clamp() throws {
        let coder = BoxCoder(weights: (1, 1, 1, 1))
        let out = try coder.decode(Tensor([0, 0, 50, 50], shape: [1, 4]), references: Tensor([0, 0, 16, 16], shape: [1, 4]))
        // width 16 · 1000/16 = 1000 around the centre 8
        expectClose(out, Tensor([-492, -492, 508, 508], shape: [1, 1, 4]), "clamped")
    }

    @Test("shape mismatches throw naming the argument")
    func badInput() {
        let coder = BoxCoder(weights: (1, 1, 1, 1))
        #expect(throws: DetectionError("references: 2 boxes for 1 boxes to encode")) {
            try coder.encode(Tensor.zeros([1, 4]), references: Tensor.zeros([2, 4]))
        }
        #expect(throws: DetectionError("codes: expected (2, 4·K) for 2 references, got shape [2, 6]")) {
            try coder.decode(Tensor.zeros([2, 6]), references: Tensor.zeros([2, 4]))
        }
    }
}
