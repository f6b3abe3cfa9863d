import Boxes
import TensorCore
import TestSupport
import Testing

/// The loss cases of `make_boxes.py`: fixture name → our configuration.
private let cases: [(name: String, kind: IoUKind, mode: IoULossMode, alpha: CIoUAlpha)] = [
    ("iou_linear", .iou, .linear, .torchvision), ("iou_square", .iou, .square, .torchvision),
    ("iou_log", .iou, .log, .torchvision), ("giou", .giou, .linear, .torchvision),
    ("diou", .diou, .linear, .torchvision), ("ciou_torchvision", .ciou, .linear, .torchvision),
    ("ciou_mmdet", .ciou, .linear, .mmdet), ("ciou_author", .ciou, .linear, .author),
    ("ciou_grad", .ciou, .linear, .grad), ("eiou", .eiou, .linear, .torchvision),
]

@Suite("B2 B3 B4 B5 differentiable box losses")
struct BoxLossTests {
    @Test("B2–B5 per-box losses and gradients (pred and target) match the references",
          arguments: cases.map(\.name))
    func parity(name: String) throws {
        let c = try #require(cases.first { $0.name == name })
        let fx = try Fixture("boxes_loss")
        let pred = try fx.tensor("pred").requiringGrad(), target = try fx.tensor("target").requiringGrad()
        let loss = try boxLoss(pred, target, kind: c.kind, mode: c.mode, alpha: c.alpha, reduction: .none)
        expectClose(loss, try fx.tensor("\(name).loss"), "\(name) loss")
        loss.sum().backward()
        expectGradClose(pred.grad, try fx.tensor("\(name).grad_pred"), "\(name) d/dpred")
        expectGradClose(target.grad, try fx.tensor("\(name).grad_target"), "\(name) d/dtarget")
    }

    @Test("B3 reductions and per-box weights: mean as torchvision, weighted sum and its gradient")
    func reductionsAndWeights() throws {
        let fx = try Fixture("boxes_loss")
        let pred = try fx.tensor("pred"), target = try fx.tensor("target")
        let mean = try boxLoss(pred, target, kind: .giou, reduction: .mean)
        expectClose(mean.reshaped([1]), try fx.tensor("giou.mean"), "giou mean")
        let p = pred.requiringGrad()
        let weighted = try boxLoss(p, target, kind: .giou, weights: try floats(fx, "weights"), reduction: .sum)
        expectClose(weighted.reshaped([1]), try fx.tensor("giou.weighted_sum"), "giou weighted sum")
        weighted.backward()
        expectGradClose(p.grad, try fx.tensor("giou.weighted_sum.grad_pred"), "weighted sum gradient")
        let empty = try boxLoss(Tensor.zeros([0, 4]), Tensor.zeros([0, 4]), kind: .ciou)
        #expect(empty.item == 0)
    }

    @Test("B3 format argument: cxcywh losses and gradients with respect to cxcywh coordinates")
    func cxcywhGradients() throws {
        let fx = try Fixture("boxes_loss")
        let p = try fx.tensor("pred_cxcywh").requiringGrad()
        let loss = try boxLoss(p, try fx.tensor("target_cxcywh"), kind: .giou, format: .cxcywh, reduction: .none)
        expectClose(loss, try fx.tensor("giou_cxcywh.loss"), rtol: 1e-4, atol: 1e-4, "giou cxcywh loss")
        loss.sum().backward()
        expectGradClose(p.grad, try fx.tensor("giou_cxcywh.grad_pred"), "giou cxcywh gradient")
    }

    @Test("B2–B5 degenerate boxes (zero width or height, 0×0, identical, same centre) give finite values and gradients")
    func degenerateFinite() throws {
        let pred = Tensor([2, 2, 2, 9,   2, 2, 6, 2,   3, 3, 3, 3,   2, 2, 6, 9,   1, 1, 7, 5,   0, 0, 0, 0], shape: [6, 4])
        let target = Tensor([2, 2, 6, 9,  2, 2, 6, 9,  3, 3, 3, 3,   2, 2, 6, 9,   2, 0, 6, 6,   5, 5, 5, 5], shape: [6, 4])
        for kind in IoUKind.allCases {
            for mode in IoULossMode.allCases where kind == .iou || mode == .linear {
                for alpha in CIoUAlpha.allCases where kind == .ciou || alpha == .torchvision {
                    let p = pred.requiringGrad(), t = target.requiringGrad()
                    let loss = try boxLoss(p, t, kind: kind, mode: mode, alpha: alpha, reduction: .none)
                    loss.sum().backward()
                    let what = "\(kind) \(mode) \(alpha)"
                    #expect(loss.scalars.allSatisfy { $0.isFinite }, "\(what) loss \(loss.scalars)")
                    #expect(p.grad!.scalars.allSatisfy { $0.isFinite }, "\(what) pred gradient")
                    #expect(t.grad!.scalars.allSatisfy { $0.isFinite }, "\(what) target gradient")
                    #expect(abs(loss.scalars[3]) < 1e-5 || (kind == .iou && mode == .log && loss.scalars[3] < 1e-5),
                            "\(what): identical boxes have zero loss")
                }
            }
        }
    }

    @Test("B2–B5 finite-difference gradcheck on well-separated boxes (α with gradient included)")
    func gradchecks() throws {
        let pred = Tensor([1, 1, 5, 6, 10, 11, 14, 17, 0, 0, 3, 2], shape: [3, 4])
        let target = Tensor([2, 0, 6, 5, 9, 12, 15, 16, 4, 4, 7, 9], shape: [3, 4])
        for (kind, alpha) in [(IoUKind.giou, CIoUAlpha.torchvision), (.diou, .torchvision), (.ciou, .grad), (.eiou, .torchvision)] {
            gradcheck("\(kind) \(alpha)", inputs: [pred, target]) { xs in
                try! boxLoss(xs[0], xs[1], kind: kind, alpha: alpha, reduction: .none)
            }
        }
    }

    @Test("B2–B5 bad input: shapes, counts, NaN, inverted boxes, weights")
    func badInput() {
        let ok = Tensor([0, 0, 1, 1], shape: [1, 4])
        expectBoxError("pred: expected shape [N, 4]") { _ = try boxLoss(Tensor([0, 0, 1], shape: [1, 3]), ok, kind: .iou) }
        expectBoxError("pred has 2 boxes but target has 1") {
            _ = try boxLoss(Tensor([0, 0, 1, 1, 0, 0, 1, 1], shape: [2, 4]), ok, kind: .giou)
        }
        expectBoxError("target: box 0 has a non-finite") { _ = try boxLoss(ok, Tensor([0, .nan, 1, 1], shape: [1, 4]), kind: .diou) }
        expectBoxError("pred: box 0 has x2 < x1") { _ = try boxLoss(Tensor([2, 0, 1, 1], shape: [1, 4]), ok, kind: .ciou) }
        expectBoxError("weights: expected 1 values") { _ = try boxLoss(ok, ok, kind: .iou, weights: [1, 2]) }
    }
}
