import Foundation
import Kernels

/// Asks Linux to back a large, not yet touched buffer with transparent huge pages, which cuts
/// the page faults of first touch (a 5000×5000 matrix is 100 MB) several-fold. No-op elsewhere.
func adviseHugePages(_ buf: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    let huge = 2 << 20
    guard buf.count >= 4 * huge, let base = buf.baseAddress else { return }
    let start = (Int(bitPattern: base) + huge - 1) / huge * huge
    let end = (Int(bitPattern: base) + buf.count) / huge * huge
    if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, 14 /* MADV_HUGEPAGE */) }
    #endif
}

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
    let n = p.count, m = q.count
    guard n > 0, m > 0 else { return [] }
    return [Float](unsafeUninitializedCapacity: n * m) { buf, written in
        adviseHugePages(UnsafeMutableRawBufferPointer(buf))
        p.storage.withUnsafeBufferPointer { ps in
            q.storage.withUnsafeBufferPointer { qs in
                let a = TermPointers(ps.baseAddress!, n), b = TermPointers(qs.baseAddress!, m)
                let dst = UncheckedSendable(buf.baseAddress!)
                Threading.parallelFor(n, minChunk: max(1, 16_384 / m)) { rows in
                    for i in rows { iouRow(kind, a, i, b, 0, m, dst.value + i * m, eps: eps) }
                }
            }
        }
        written = n * m
    }
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
    let n = c1.count
    let p = BoxTerms(c1, kind: kind), q = BoxTerms(c2, kind: kind)
    var out = [Float](repeating: 0, count: n)
    p.storage.withUnsafeBufferPointer { ps in
        q.storage.withUnsafeBufferPointer { qs in
            out.withUnsafeMutableBufferPointer { o in
                guard n > 0 else { return }
                let a = TermPointers(ps.baseAddress!, n), b = TermPointers(qs.baseAddress!, n)
                for i in 0..<n { iouRow(kind, a, i, b, i, i + 1, o.baseAddress!, eps: eps) }
            }
        }
    }
    return out
}
