import Foundation

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

/// Per-box quantities of one box set in structure-of-arrays form:
/// rows x1 y1 x2 y2 area cx cy w h aspect (= atan(w/h)), each `count` long.
struct BoxTerms {
    static let fields = 10
    let count: Int
    let storage: [Float]

    init(_ c: CornerBoxes, kind: IoUKind) {
        let n = c.count
        count = n
        var s = [Float](repeating: 0, count: Self.fields * n)
        for i in 0..<n {
            let w = c.x2[i] - c.x1[i], h = c.y2[i] - c.y1[i]
            s[i] = c.x1[i]; s[n + i] = c.y1[i]; s[2 * n + i] = c.x2[i]; s[3 * n + i] = c.y2[i]
            s[4 * n + i] = w * h
            s[5 * n + i] = (c.x1[i] + c.x2[i]) / 2; s[6 * n + i] = (c.y1[i] + c.y2[i]) / 2
            s[7 * n + i] = w; s[8 * n + i] = h
            // atan(w / h) with IEEE division as torchvision evaluates it (0×0 boxes give NaN).
            s[9 * n + i] = kind == .ciou ? Float(Foundation.atan(Double(w / h))) : 0
        }
        storage = s
    }
}

/// Raw views of a ``BoxTerms`` for the kernels.
struct TermPointers {
    let x1, y1, x2, y2, area, cx, cy, w, h, aspect: UnsafePointer<Float>
    init(_ base: UnsafePointer<Float>, _ n: Int) {
        x1 = base; y1 = base + n; x2 = base + 2 * n; y2 = base + 3 * n; area = base + 4 * n
        cx = base + 5 * n; cy = base + 6 * n; w = base + 7 * n; h = base + 8 * n; aspect = base + 9 * n
    }
}

/// 4/π², the CIoU aspect-ratio factor, as Float32 like PyTorch's scalar multiply.
let ciouFactor = Float(4.0 / (Double.pi * Double.pi))

@inline(__always) private func fmax(_ a: Float, _ b: Float) -> Float { a > b ? a : b }
@inline(__always) private func fmin(_ a: Float, _ b: Float) -> Float { a < b ? a : b }

/// Values of `kind` between box `i` of `p` and boxes `j0..<j1` of `q`, written to `out[j]`
/// (`stride` 0 writes every value to out[j], aligned mode uses `i == j`). Branch-free inner
/// loops in torchvision's operation order, so results match it bit for bit up to `atan`.
@inline(__always)
func iouRow(_ kind: IoUKind, _ p: TermPointers, _ i: Int, _ q: TermPointers, _ j0: Int, _ j1: Int,
            _ out: UnsafeMutablePointer<Float>, eps: Float) {
    let ax1 = p.x1[i], ay1 = p.y1[i], ax2 = p.x2[i], ay2 = p.y2[i], aa = p.area[i]
    switch kind {
    case .iou:
        for j in j0..<j1 {
            let w = fmin(ax2, q.x2[j]) - fmax(ax1, q.x1[j]), h = fmin(ay2, q.y2[j]) - fmax(ay1, q.y1[j])
            let inter = fmax(w, 0) * fmax(h, 0)
            out[j] = inter / (aa + q.area[j] - inter)
        }
    case .giou:
        for j in j0..<j1 {
            let w = fmin(ax2, q.x2[j]) - fmax(ax1, q.x1[j]), h = fmin(ay2, q.y2[j]) - fmax(ay1, q.y1[j])
            let inter = fmax(w, 0) * fmax(h, 0)
            let union = aa + q.area[j] - inter
            let cw = fmax(fmax(ax2, q.x2[j]) - fmin(ax1, q.x1[j]), 0)
            let ch = fmax(fmax(ay2, q.y2[j]) - fmin(ay1, q.y1[j]), 0)
            let areai = cw * ch
            out[j] = inter / union - (areai - union) / areai
        }
    case .diou:
        let acx = p.cx[i], acy = p.cy[i]
        var j = j0
        typealias V = SIMD8<Float>
        while j + 8 <= j1 {
            let bx1 = load8(q.x1, j), by1 = load8(q.y1, j), bx2 = load8(q.x2, j), by2 = load8(q.y2, j)
            let w = V(repeating: ax2).vmin(bx2) - V(repeating: ax1).vmax(bx1)
            let h = V(repeating: ay2).vmin(by2) - V(repeating: ay1).vmax(by1)
            let inter = w.vmax(V()) * h.vmax(V())
            let iou = inter / (V(repeating: aa) + load8(q.area, j) - inter)
            let cw = (V(repeating: ax2).vmax(bx2) - V(repeating: ax1).vmin(bx1)).vmax(V())
            let ch = (V(repeating: ay2).vmax(by2) - V(repeating: ay1).vmin(by1)).vmax(V())
            let dx = V(repeating: acx) - load8(q.cx, j), dy = V(repeating: acy) - load8(q.cy, j)
            store8(iou - (dx * dx + dy * dy) / (cw * cw + ch * ch + eps), out, j)
            j += 8
        }
        for j in j..<j1 {
            let w = fmin(ax2, q.x2[j]) - fmax(ax1, q.x1[j]), h = fmin(ay2, q.y2[j]) - fmax(ay1, q.y1[j])
            let inter = fmax(w, 0) * fmax(h, 0)
            let cw = fmax(fmax(ax2, q.x2[j]) - fmin(ax1, q.x1[j]), 0)
            let ch = fmax(fmax(ay2, q.y2[j]) - fmin(ay1, q.y1[j]), 0)
            let iou = inter / (aa + q.area[j] - inter)
            let dx = acx - q.cx[j], dy = acy - q.cy[j]
            out[j] = iou - (dx * dx + dy * dy) / (cw * cw + ch * ch + eps)
        }
    case .ciou:
        let acx = p.cx[i], acy = p.cy[i], at = p.aspect[i]
        for j in j0..<j1 {
            let w = fmin(ax2, q.x2[j]) - fmax(ax1, q.x1[j]), h = fmin(ay2, q.y2[j]) - fmax(ay1, q.y1[j])
            let inter = fmax(w, 0) * fmax(h, 0)
            let iou = inter / (aa + q.area[j] - inter)
            let cw = fmax(fmax(ax2, q.x2[j]) - fmin(ax1, q.x1[j]), 0)
            let ch = fmax(fmax(ay2, q.y2[j]) - fmin(ay1, q.y1[j]), 0)
            let dx = acx - q.cx[j], dy = acy - q.cy[j]
            let d = at - q.aspect[j]
            let v = ciouFactor * (d * d)
            out[j] = (iou - (dx * dx + dy * dy) / (cw * cw + ch * ch + eps)) - v / (1 - iou + v + eps) * v
        }
    case .eiou:
        let acx = p.cx[i], acy = p.cy[i], aw = p.w[i], ah = p.h[i]
        for j in j0..<j1 {
            let w = fmin(ax2, q.x2[j]) - fmax(ax1, q.x1[j]), h = fmin(ay2, q.y2[j]) - fmax(ay1, q.y1[j])
            let inter = fmax(w, 0) * fmax(h, 0)
            let cw = fmax(fmax(ax2, q.x2[j]) - fmin(ax1, q.x1[j]), 0)
            let ch = fmax(fmax(ay2, q.y2[j]) - fmin(ay1, q.y1[j]), 0)
            let iou = inter / (aa + q.area[j] - inter)
            let dx = acx - q.cx[j], dy = acy - q.cy[j], dw = aw - q.w[j], dh = ah - q.h[j]
            let diou = iou - (dx * dx + dy * dy) / (cw * cw + ch * ch + eps)
            out[j] = diou - (dw * dw) / (cw * cw + eps) - (dh * dh) / (ch * ch + eps)
        }
    }
}

@inline(__always) private func load8(_ p: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ j: Int) {
    UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: SIMD8<Float>.self)
}

extension SIMD8 where Scalar == Float {
    @inline(__always) fileprivate func vmin(_ b: Self) -> Self { replacing(with: b, where: b .< self) }
    @inline(__always) fileprivate func vmax(_ b: Self) -> Self { replacing(with: b, where: b .> self) }
}
