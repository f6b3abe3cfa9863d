import Boxes
import NN
import TensorCore

/// The box head's regression loss (`DetectorConfig.boxLoss`).
///
/// - `smooth-l1` (torchvision): smooth L1 with β = 1/9 on the codes (BoxCoder weights 10, 10, 5, 5)
///   of the RoI's ground-truth class; `l1`: the same with β = 0.
/// - `iou | giou | diou | ciou`: the Boxes target's `boxLoss` between the decoded box of the
///   ground-truth class (differentiable decode, dw/dh clamped at log(1000/16)) and the matched
///   ground-truth box; `iou` is `1 − IoU`; `ciou` takes the α convention after a colon
///   (`ciou:torchvision` = `ciou`, `ciou:mmdet`, `ciou:author`, `ciou:grad`; see `CIoUAlpha`).
/// Every kind is summed over the positive RoIs and divided by the number of sampled RoIs, as
/// torchvision normalises its smooth L1.
public enum BoxRegressionLoss: Sendable, Equatable {
    case smoothL1, l1
    case iou(IoUKind, CIoUAlpha)

    public static let names = ["smooth-l1", "l1", "iou", "giou", "diou", "ciou"] + CIoUAlpha.allCases.map { "ciou:\($0.rawValue)" }

    public init(name: String) throws {
        switch name {
        case "smooth-l1": self = .smoothL1
        case "l1": self = .l1
        case "iou": self = .iou(.iou, .torchvision)
        case "giou": self = .iou(.giou, .torchvision)
        case "diou": self = .iou(.diou, .torchvision)
        case "ciou": self = .iou(.ciou, .torchvision)
        default:
            if name.hasPrefix("ciou:"), let a = CIoUAlpha(rawValue: String(name.dropFirst(5))) { self = .iou(.ciou, a); return }
            throw DetectionError("boxLoss: unknown box regression loss '\(name)' (known: \(BoxRegressionLoss.names.joined(separator: ", ")))")
        }
    }
}

/// torchvision's `fastrcnn_loss` (with the box term chosen by `kind`): `loss_classifier` =
/// cross-entropy over all sampled RoIs, `loss_box_reg` over the positive ones (label > 0).
/// `logits` (R, K), `deltas` (R, 4K), `labels` R class indices, `targetBoxes` R·4 matched
/// ground-truth corners, `proposals` R·4 (the decode references).
public func fastRCNNLoss(logits: Tensor, deltas: Tensor, labels: [Int], targetBoxes: [Float], proposals: [Float],
                         coder: BoxCoder, kind: BoxRegressionLoss) throws -> (classifier: Tensor, boxReg: Tensor) {
    let r = logits.shape[0], k = logits.shape[1]
    guard labels.count == r, targetBoxes.count == 4 * r, proposals.count == 4 * r, deltas.shape == [r, 4 * k] else {
        throw DetectionError("fastRCNNLoss: \(labels.count) labels, \(targetBoxes.count / 4) targets, \(proposals.count / 4) proposals for logits \(logits.shape) and deltas \(deltas.shape)")
    }
    let classifier = Loss.crossEntropy(logits, targets: labels)
    let pos = labels.indices.filter { labels[$0] > 0 }
    let rows = pos.map { $0 * k + labels[$0] }
    let predicted = deltas.reshaped([r * k, 4]).indexSelect(axis: 0, indices: rows)
    let refs = Tensor(pos.flatMap { proposals[(4 * $0)..<(4 * $0 + 4)] }, shape: [pos.count, 4])
    let gt = Tensor(pos.flatMap { targetBoxes[(4 * $0)..<(4 * $0 + 4)] }, shape: [pos.count, 4])
    let box: Tensor
    switch kind {
    case .smoothL1, .l1:
        let codes = try coder.encode(gt, references: refs)
        box = Loss.smoothL1(predicted, codes, beta: kind == .l1 ? 0 : 1.0 / 9, reduction: .sum)
    case .iou(let iouKind, let alpha):
        box = try boxLoss(decodeDifferentiable(predicted, references: refs, coder: coder), gt, kind: iouKind,
                          mode: .linear, alpha: alpha, reduction: .sum)
    }
    return (classifier, box / Float(max(r, 1)))
}

/// `BoxCoder.decode` on the tape: (P, 4) codes and (P, 4) references → (P, 4) corners, with
/// torchvision's operation order; dw, dh clamped at `coder.bboxXformClip` (no gradient beyond it).
public func decodeDifferentiable(_ codes: Tensor, references: Tensor, coder: BoxCoder) -> Tensor {
    let p = codes.shape[0], r = references.scalars
    var w = [Float](repeating: 0, count: p), h = w, cx = w, cy = w
    for i in 0..<p {
        w[i] = r[4 * i + 2] - r[4 * i]; h[i] = r[4 * i + 3] - r[4 * i + 1]
        cx[i] = r[4 * i] + 0.5 * w[i]; cy[i] = r[4 * i + 1] + 0.5 * h[i]
    }
    let tw = Tensor(w, shape: [p, 1]), th = Tensor(h, shape: [p, 1])
    let cols = codes.split(size: 1, axis: 1)
    let dx = cols[0] / coder.weights.0, dy = cols[1] / coder.weights.1
    let dw = (cols[2] / coder.weights.2).clamp(max: coder.bboxXformClip)
    let dh = (cols[3] / coder.weights.3).clamp(max: coder.bboxXformClip)
    let pcx = dx * tw + Tensor(cx, shape: [p, 1]), pcy = dy * th + Tensor(cy, shape: [p, 1])
    let hw = (dw.exp() * tw) * 0.5, hh = (dh.exp() * th) * 0.5
    return Tensor.cat([pcx - hw, pcy - hh, pcx + hw, pcy + hh], axis: 1)
}
