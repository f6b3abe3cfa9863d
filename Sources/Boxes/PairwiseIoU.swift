import Kernels

/// Pairwise overlap matrix (N×M, row-major) of `kind` between `boxes1` (N×4) and `boxes2` (M×4).
///
/// Matches torchvision's `box_iou` / `generalized_box_iou` / `distance_box_iou` /
/// `complete_box_iou` in Float32 (see ``IoUKind`` for the formulas). Both sets are validated
/// (finite, `x2 ≥ x1`, `y2 ≥ y1`); errors name `boxes1` or `boxes2`. Parallel over rows.
/// Degenerate pairs follow the reference: two empty boxes give 0/0 = NaN for `iou`.
public func pairwiseIoU(_ boxes1: [Float], _ boxes2: [Float], kind: IoUKind = .iou,
                        format: BoxFormat = .xyxy, eps: Float = 1e-7) throws -> [Float] {
    let p = BoxTerms(try validatedCorners(boxes1, format: format, name: "boxes1"), kind: kind)
    let q = BoxTerms(try validatedCorners(boxes2, format: format, name: "boxes2"), kind: kind)
    let n = p.x1.count, m = q.x1.count
    var out = [Float](repeating: 0, count: n * m)
    guard n > 0, m > 0 else { return out }
    out.withUnsafeMutableBufferPointer { buf in
        let dst = UncheckedSendable(buf.baseAddress!)
        Threading.parallelFor(n, minChunk: max(1, 16_384 / m)) { rows in
            for i in rows {
                let row = dst.value + i * m
                if kind == .iou { iouRow(p, i, q, row) } else {
                    for j in 0..<m { row[j] = pairIoU(kind, p, i, q, j, eps: eps) }
                }
            }
        }
    }
    return out
}

/// Element-wise (aligned) overlap of `kind` between box i of `boxes1` and box i of `boxes2`.
///
/// Same formulas and validation as ``pairwiseIoU(_:_:kind:format:eps:)``; the two sets must
/// have equal lengths (the error names both counts).
public func alignedIoU(_ boxes1: [Float], _ boxes2: [Float], kind: IoUKind = .iou,
                       format: BoxFormat = .xyxy, eps: Float = 1e-7) throws -> [Float] {
    let c1 = try validatedCorners(boxes1, format: format, name: "boxes1")
    let c2 = try validatedCorners(boxes2, format: format, name: "boxes2")
    guard c1.count == c2.count else {
        throw BoxError("aligned IoU: boxes1 has \(c1.count) boxes but boxes2 has \(c2.count)")
    }
    let p = BoxTerms(c1, kind: kind), q = BoxTerms(c2, kind: kind)
    return (0..<c1.count).map { pairIoU(kind, p, $0, q, $0, eps: eps) }
}

/// The plain-IoU row kernel: a branch-free loop over raw pointers the compiler vectorises.
@inline(__always)
private func iouRow(_ p: BoxTerms, _ i: Int, _ q: BoxTerms, _ row: UnsafeMutablePointer<Float>) {
    let ax1 = p.x1[i], ay1 = p.y1[i], ax2 = p.x2[i], ay2 = p.y2[i], aa = p.area[i]
    q.x1.withUnsafeBufferPointer { bx1 in
    q.y1.withUnsafeBufferPointer { by1 in
    q.x2.withUnsafeBufferPointer { bx2 in
    q.y2.withUnsafeBufferPointer { by2 in
    q.area.withUnsafeBufferPointer { ba in
        for j in 0..<bx1.count {
            let lx = ax1 > bx1[j] ? ax1 : bx1[j], ly = ay1 > by1[j] ? ay1 : by1[j]
            let rx = ax2 < bx2[j] ? ax2 : bx2[j], ry = ay2 < by2[j] ? ay2 : by2[j]
            let w = rx - lx, h = ry - ly
            let inter = (w > 0 ? w : 0) * (h > 0 ? h : 0)
            row[j] = inter / (aa + ba[j] - inter)
        }
    }}}}}
}
