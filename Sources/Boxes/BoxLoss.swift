import Foundation
import TensorCore

/// How the IoU loss (`kind: .iou`, catalogue B2) maps the overlap to a loss.
public enum IoULossMode: String, CaseIterable, Sendable {
    /// `1 − IoU`.
    case linear
    /// `1 − IoU²`.
    case square
    /// UnitBox `−ln IoU` (IoU clamped below at eps, so disjoint boxes give a finite loss).
    case log
}

/// The α conventions of the CIoU loss (catalogue B5): `loss = 1 − IoU + ρ²/c² + α·v`.
public enum CIoUAlpha: String, CaseIterable, Sendable {
    /// torchvision `complete_box_iou_loss`: `α = v / (1 − IoU + v + eps)` without gradient.
    case torchvision
    /// mmdetection `ciou_loss`: `α = [IoU > 0.5] · v / (1 − IoU + v + eps)` without gradient,
    /// heights `+ eps` inside the aspect terms, CIoU clamped to [−1, 1].
    /// Deviation: mmdet has no eps in α's denominator (NaN for identical boxes); we add it.
    case mmdet
    /// The CIoU author's variant (DIoU-darknet and the seed's snippet): α as torchvision
    /// without gradient, and v's gradient taken without the `1/(w² + h²)` factor:
    /// `∂v/∂w = −8/π²·(atan(w_gt/h_gt) − atan(w/h))·h`, `∂v/∂h = +8/π²·(…)·w`.
    case author
    /// α as torchvision's, but with its gradient flowing (the literal formula).
    case grad
}

/// How per-box losses are combined.
public enum BoxLossReduction: String, CaseIterable, Sendable {
    case none, mean, sum
}

/// Differentiable bounding-box regression losses (catalogue B2–B5 and EIoU) on `[N, 4]` tensors.
///
/// ```
/// iou : linear 1 − IoU | square 1 − IoU² | log −ln max(IoU, eps)
/// giou: 1 − IoU + (C − U)/(C + eps)
/// diou: 1 − IoU + ρ²/(c² + eps)
/// ciou: 1 − IoU + ρ²/(c² + eps) + α·v          (α per `alpha`, see `CIoUAlpha`)
/// eiou: 1 − IoU + ρ²/(c² + eps) + (w − w_gt)²/(c_w² + eps) + (h − h_gt)²/(c_h² + eps)
/// ```
/// with `IoU = I/(U + eps)`, `I` the positive part of the intersection, as torchvision's
/// `generalized_box_iou_loss`, `distance_box_iou_loss`, `complete_box_iou_loss` (eps = 1e-7).
/// Reference followed: torchvision.ops for giou/diou/ciou(torchvision), mmdetection
/// `iou_loss.py` for ciou(mmdet) and the IoU modes, the DIoU author's code for ciou(author),
/// Zhang et al. 2021 for EIoU.
///
/// - Parameters:
///   - pred, target: `[N, 4]` boxes in `format`; gradients flow to both (PyTorch's rules:
///     tied `min`/`max` operands share the gradient).
///   - weights: optional per-box weights multiplying each loss before the reduction.
///   - reduction: `.none` gives `[N]`, `.mean` and `.sum` a scalar (mean of 0 boxes is 0).
/// - Degenerate boxes (zero width or height, identical centres, identical boxes) give finite
///   values and gradients: `atan(w/h)` is evaluated as `atan2(w, h)` (Deviation: torchvision
///   gives NaN for a 0×0 box) and its gradient is 0 for a 0×0 box.
/// - Throws ``BoxError`` for shapes other than `[N, 4]`, mismatched counts, non-finite
///   coordinates, `x2 < x1` or `y2 < y1`, or a wrong number of weights.
public func boxLoss(_ pred: Tensor, _ target: Tensor, kind: IoUKind, mode: IoULossMode = .linear,
                    alpha: CIoUAlpha = .torchvision, format: BoxFormat = .xyxy, weights: [Float]? = nil,
                    reduction: BoxLossReduction = .mean, eps: Float = 1e-7) throws -> Tensor {
    guard pred.rank == 2, pred.shape[1] == 4 else { throw BoxError("pred: expected shape [N, 4], got \(pred.shape)") }
    guard target.rank == 2, target.shape[1] == 4 else { throw BoxError("target: expected shape [N, 4], got \(target.shape)") }
    guard pred.shape[0] == target.shape[0] else {
        throw BoxError("pred has \(pred.shape[0]) boxes but target has \(target.shape[0])")
    }
    let n = pred.shape[0]
    if let weights { try checkPerBox(weights, count: n, name: "weights") }
    let p = try validatedCorners(pred.scalars, format: format, name: "pred")
    let t = try validatedCorners(target.scalars, format: format, name: "target")
    let needGrad = pred.requiresGrad || target.requiresGrad
    var losses = [Float](repeating: 0, count: n)
    var grads = needGrad ? [SIMD8<Float>](repeating: .zero, count: n) : []
    for i in 0..<n {
        let d = perBoxLoss(kind: kind, mode: mode, alpha: alpha, eps: eps,
                           pred: (p.x1[i], p.y1[i], p.x2[i], p.y2[i]), target: (t.x1[i], t.y1[i], t.x2[i], t.y2[i]))
        let w = weights?[i] ?? 1
        losses[i] = w * d.v
        if needGrad { grads[i] = w * cornerToFormat(d.g, format) }
    }
    let out: Tensor
    switch reduction {
    case .none: out = Tensor(losses, shape: [n])
    case .sum: out = Tensor(scalar: losses.reduce(0, +))
    case .mean: out = Tensor(scalar: n == 0 ? 0 : losses.reduce(0, +) / Float(n))
    }
    return Tensor.differentiable("box_\(kind.rawValue)_loss", inputs: [pred, target], output: out) { g in
        // d(sum_i s_i·L_i)/dx = s_i·∂L_i/∂x, s_i the upstream gradient (÷N for the mean).
        let up = g.scalars
        func seed(_ i: Int) -> Float {
            switch reduction {
            case .none: return up[i]
            case .sum: return up[0]
            case .mean: return up[0] / Float(n)
            }
        }
        var gp = [Float](repeating: 0, count: 4 * n), gt = gp
        for i in 0..<n {
            let s = seed(i) * grads[i]
            for k in 0..<4 { gp[4 * i + k] = s[k]; gt[4 * i + k] = s[4 + k] }
        }
        return [pred.requiresGrad ? Tensor(gp, shape: [n, 4]) : nil,
                target.requiresGrad ? Tensor(gt, shape: [n, 4]) : nil]
    }
}

/// Maps gradients with respect to corners (x1 y1 x2 y2 of pred, then target) to gradients with
/// respect to the coordinates of `format` (the transpose of the conversion's Jacobian).
private func cornerToFormat(_ g: SIMD8<Float>, _ format: BoxFormat) -> SIMD8<Float> {
    func one(_ a: Float, _ b: Float, _ c: Float, _ d: Float) -> (Float, Float, Float, Float) {
        switch format {
        case .xyxy: return (a, b, c, d)
        case .yxyx: return (b, a, d, c)
        case .xywh: return (a + c, b + d, c, d)                    // x2 = x + w
        case .cxcywh: return (a + c, b + d, 0.5 * (c - a), 0.5 * (d - b))  // x1,2 = cx ∓ w/2
        }
    }
    let p = one(g[0], g[1], g[2], g[3]), t = one(g[4], g[5], g[6], g[7])
    return SIMD8(p.0, p.1, p.2, p.3, t.0, t.1, t.2, t.3)
}

/// One box pair's loss and its derivatives with respect to the eight corner coordinates.
func perBoxLoss(kind: IoUKind, mode: IoULossMode, alpha: CIoUAlpha, eps: Float,
                pred: (Float, Float, Float, Float), target: (Float, Float, Float, Float)) -> Dual {
    let x1 = Dual(variable: pred.0, index: 0), y1 = Dual(variable: pred.1, index: 1)
    let x2 = Dual(variable: pred.2, index: 2), y2 = Dual(variable: pred.3, index: 3)
    let gx1 = Dual(variable: target.0, index: 4), gy1 = Dual(variable: target.1, index: 5)
    let gx2 = Dual(variable: target.2, index: 6), gy2 = Dual(variable: target.3, index: 7)
    // Intersection: torchvision's `_loss_inter_union` (positive part by mask).
    let xk1 = Dual.maximum(x1, gx1), yk1 = Dual.maximum(y1, gy1)
    let xk2 = Dual.minimum(x2, gx2), yk2 = Dual.minimum(y2, gy2)
    let inter = (yk2.v > yk1.v && xk2.v > xk1.v) ? (xk2 - xk1) * (yk2 - yk1) : Dual(0)
    let union = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter
    let iou = inter / (union + eps)
    // Enclosing box.
    let xc1 = Dual.minimum(x1, gx1), yc1 = Dual.minimum(y1, gy1)
    let xc2 = Dual.maximum(x2, gx2), yc2 = Dual.maximum(y2, gy2)
    switch kind {
    case .iou:
        let u = iou.clamped(min: eps)
        switch mode {
        case .linear: return 1 - u
        case .square: return 1 - u * u
        case .log: return -u.log()
        }
    case .giou:
        let areaC = (xc2 - xc1) * (yc2 - yc1)
        return 1 - (iou - (areaC - union) / (areaC + eps))
    default: break
    }
    let diag = (xc2 - xc1).squared + (yc2 - yc1).squared + eps
    let centre = ((x2 + x1) / 2 - (gx1 + gx2) / 2).squared + ((y2 + y1) / 2 - (gy1 + gy2) / 2).squared
    let diouLoss = 1 - iou + centre / diag
    switch kind {
    case .diou: return diouLoss
    case .eiou:
        let cw = xc2 - xc1, ch = yc2 - yc1
        return diouLoss + ((x2 - x1) - (gx2 - gx1)).squared / (cw.squared + eps)
            + ((y2 - y1) - (gy2 - gy1)).squared / (ch.squared + eps)
    default: break
    }
    let factor = Float(4.0 / (Double.pi * Double.pi))
    let w = x2 - x1, h = y2 - y1, wg = gx2 - gx1, hg = gy2 - gy1
    switch alpha {
    case .torchvision, .grad:
        let v = factor * (Dual.aspectAngle(wg, hg) - Dual.aspectAngle(w, h)).squared
        var a = v / (1 - iou + v + eps)
        if alpha == .torchvision { a = a.detached }
        return diouLoss + a * v
    case .author:
        let d = (Dual.aspectAngle(wg, hg) - Dual.aspectAngle(w, h)).detached
        let v = factor * d.squared
        // Zero-valued surrogate whose gradient is v's without the 1/(w² + h²) factor.
        let surrogate = (2 * factor) * (d * (w.detached * h - h.detached * w))
        let a = (v / (1 - iou + v + eps)).detached
        return diouLoss + a * (v + surrogate)
    case .mmdet:
        let v = factor * (Dual.aspectAngle(wg, hg + eps) - Dual.aspectAngle(w, h + eps)).squared
        let a = (iou.v > 0.5 ? v / (1 - iou + v + eps) : Dual(0)).detached
        let ciou = iou - (centre / diag + a * v)
        return 1 - ciou.clamped(min: -1, max: 1)
    }
}
