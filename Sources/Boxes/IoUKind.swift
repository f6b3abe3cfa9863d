/// The overlap measures of the IoU family (catalogue B1, B3–B5 and EIoU).
///
/// ```
/// iou  = |A∩B| / |A∪B|
/// giou = iou − (C − |A∪B|) / C                      C: area of the smallest enclosing box
/// diou = iou − ρ²(b, b_gt) / (c² + eps)               ρ: centre distance, c: enclosing diagonal
/// ciou = diou − α·v,  v = 4/π²·(atan(w/h) − atan(w_gt/h_gt))²,  α = v / (1 − iou + v + eps)
/// eiou = diou − (w − w_gt)² / (c_w² + eps) − (h − h_gt)² / (c_h² + eps)
/// ```
/// Reference followed: torchvision.ops (`box_iou`, `generalized_box_iou`, `distance_box_iou`,
/// `complete_box_iou`, eps = 1e-7); EIoU after Zhang et al., "Focal and Efficient IOU Loss"
/// (arXiv:2101.08158), with torchvision's eps placement (torchvision has no EIoU).
public enum IoUKind: String, CaseIterable, Sendable {
    case iou, giou, diou, ciou, eiou
}

/// Per-box quantities the pairwise and aligned kernels share.
struct BoxTerms {
    let x1: [Float], y1: [Float], x2: [Float], y2: [Float]
    let area: [Float], cx: [Float], cy: [Float], w: [Float], h: [Float], aspect: [Float]

    init(_ c: CornerBoxes, kind: IoUKind) {
        x1 = c.x1; y1 = c.y1; x2 = c.x2; y2 = c.y2
        area = c.areas
        let n = c.count
        let needCentres = kind == .diou || kind == .ciou || kind == .eiou
        cx = needCentres ? (0..<n).map { (c.x1[$0] + c.x2[$0]) / 2 } : []
        cy = needCentres ? (0..<n).map { (c.y1[$0] + c.y2[$0]) / 2 } : []
        let needSides = kind == .ciou || kind == .eiou
        let ws = needSides ? (0..<n).map { c.x2[$0] - c.x1[$0] } : []
        let hs = needSides ? (0..<n).map { c.y2[$0] - c.y1[$0] } : []
        w = ws; h = hs
        aspect = kind == .ciou ? (0..<n).map { Float.atan2Ratio(ws[$0], hs[$0]) } : []
    }
}

extension Float {
    /// `atan(w / h)` with IEEE semantics of the division (h = 0 gives ±π/2; 0/0 gives NaN),
    /// as torchvision computes it.
    @inline(__always) static func atan2Ratio(_ w: Float, _ h: Float) -> Float { Float(Foundation.atan(Double(w / h))) }
}

import Foundation

/// 4/π², the CIoU aspect-ratio factor, as Float32 like PyTorch's scalar multiply.
let ciouFactor = Float(4.0 / (Double.pi * Double.pi))

/// One pair's value of `kind`; `a` indexes the first set, `b` the second.
@inline(__always)
func pairIoU(_ kind: IoUKind, _ p: BoxTerms, _ a: Int, _ q: BoxTerms, _ b: Int, eps: Float) -> Float {
    let ix1 = max(p.x1[a], q.x1[b]), iy1 = max(p.y1[a], q.y1[b])
    let ix2 = min(p.x2[a], q.x2[b]), iy2 = min(p.y2[a], q.y2[b])
    let iw = max(ix2 - ix1, 0), ih = max(iy2 - iy1, 0)
    let inter = iw * ih
    let union = p.area[a] + q.area[b] - inter
    let iou = inter / union
    if kind == .iou { return iou }
    let ex1 = min(p.x1[a], q.x1[b]), ey1 = min(p.y1[a], q.y1[b])
    let ex2 = max(p.x2[a], q.x2[b]), ey2 = max(p.y2[a], q.y2[b])
    let cw = max(ex2 - ex1, 0), ch = max(ey2 - ey1, 0)
    if kind == .giou {
        let areai = cw * ch
        return iou - (areai - union) / areai
    }
    let diag = cw * cw + ch * ch + eps
    let dx = p.cx[a] - q.cx[b], dy = p.cy[a] - q.cy[b]
    let diou = iou - (dx * dx + dy * dy) / diag
    switch kind {
    case .diou: return diou
    case .ciou:
        let d = p.aspect[a] - q.aspect[b]
        let v = ciouFactor * (d * d)
        let alpha = v / (1 - iou + v + eps)
        return diou - alpha * v
    default:
        let dw = p.w[a] - q.w[b], dh = p.h[a] - q.h[b]
        return diou - (dw * dw) / (cw * cw + eps) - (dh * dh) / (ch * ch + eps)
    }
}
