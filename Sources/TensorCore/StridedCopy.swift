import Kernels

/// `shape` without its size-1 dims, adjacent dims merged where they stay contiguous under both
/// stride sets `sa` and `sb`; with the merged dims' strides.
func mergedDims(_ shape: [Int], _ sa: [Int], _ sb: [Int]) -> (dims: [Int], sa: [Int], sb: [Int]) {
    var dims: [Int] = [], da: [Int] = [], db: [Int] = []
    for i in 0..<shape.count where shape[i] != 1 {
        if let last = dims.indices.last, da[last] == sa[i] * shape[i], db[last] == sb[i] * shape[i] {
            dims[last] *= shape[i]; da[last] = sa[i]; db[last] = sb[i]
        } else {
            dims.append(shape[i]); da.append(sa[i]); db.append(sb[i])
        }
    }
    return (dims, da, db)
}

/// Visits every element of `shape` in row-major order, giving offsets under two stride sets.
/// Adjacent dims that stay contiguous under both are merged; the innermost run goes to `body`
/// as (offsetA, offsetB, length, strideA, strideB). Parallel over the outer runs.
func stridedRuns(_ shape: [Int], _ sa: [Int], _ sb: [Int],
                 _ body: (Int, Int, Int, Int, Int) -> Void) {
    var (dims, da, db) = mergedDims(shape, sa, sb)
    if shapeCount(shape) == 0 { return }
    if dims.isEmpty { body(0, 0, 1, 1, 1); return }
    let inner = dims.removeLast(), ia = da.removeLast(), ib = db.removeLast()
    let outer = shapeCount(dims)
    Threading.parallelFor(outer, minChunk: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { range in
        for o in range {
            var rem = o, offA = 0, offB = 0
            for d in stride(from: dims.count - 1, through: 0, by: -1) {
                let idx = rem % dims[d]
                rem /= dims[d]
                offA += idx * da[d]; offB += idx * db[d]
            }
            body(offA, offB, inner, ia, ib)
        }
    }
}

/// Gathers `src` (read at `offset` with `srcStrides`, one per output dim) into a new contiguous
/// tensor of `shape`.
func gatherStrided(_ src: Tensor, offset: Int, srcStrides: [Int], shape: [Int]) -> Tensor {
    let out = Tensor(uninitializedShape: shape)
    let ps = src.data + offset, po = out.data
    if gatherTransposed(shape, srcStrides, ps, po) { return out }
    stridedRuns(shape, contiguousStrides(shape), srcStrides) { oo, os, n, so, ss in
        let d = po + oo, s = ps + os
        if so == 1 && ss == 1 { d.update(from: s, count: n) }
        else { for j in 0..<n { d[j * so] = s[j * ss] } }
    }
    return out
}

/// A gather whose two innermost (merged) output dims read the source transposed, (A, B) from
/// strides (1, sB) — NCHW ⇄ NHWC permutes, `.t` — as a batch of transposes in 16 × 16 tiles, so
/// both sides stay in cache lines (the row-wise path reads each element of a run from another
/// line). Returns false for any other pattern.
func gatherTransposed(_ shape: [Int], _ srcStrides: [Int], _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) -> Bool {
    let (dims, _, ss) = mergedDims(shape, contiguousStrides(shape), srcStrides)
    guard dims.count >= 2 else { return false }
    let k = dims.count
    let a = dims[k - 2], b = dims[k - 1], sb = ss[k - 1]
    guard ss[k - 2] == 1, sb != 1, a >= 8, b >= 8 else { return false }
    let outerDims = Array(dims.prefix(k - 2)), outerSrc = Array(ss.prefix(k - 2))
    let outer = shapeCount(outerDims), tileRows = (a + 15) / 16
    let s = UncheckedSendable(src), d = UncheckedSendable(dst)
    Threading.parallelFor(outer * tileRows, minChunk: Swift.max(1, (1 << 14) / Swift.max(16 * b, 1))) { range in
        for item in range {
            let o = item / tileRows, a0 = item % tileRows * 16, a1 = Swift.min(a, a0 + 16)
            var rem = o, srcOff = 0
            for i in stride(from: outerDims.count - 1, through: 0, by: -1) {
                srcOff += rem % outerDims[i] * outerSrc[i]
                rem /= outerDims[i]
            }
            let sp = s.value + srcOff, dp = d.value + o * a * b
            var b0 = 0
            while b0 < b {
                let b1 = Swift.min(b, b0 + 16)
                for ai in a0..<a1 {
                    let row = dp + ai * b
                    for bi in b0..<b1 { row[bi] = sp[bi * sb + ai] }
                }
                b0 = b1
            }
        }
    }
    return true
}

/// Adds contiguous `values` (of `shape`) into `dst` at `offset` with `dstStrides`.
/// Destinations must not overlap (slices, not broadcasts).
func scatterAddStrided(_ values: Tensor, into dst: Tensor, offset: Int, dstStrides: [Int]) {
    let pv = values.data, pd = dst.data + offset
    stridedRuns(values.shape, contiguousStrides(values.shape), dstStrides) { ov, od, n, sv, sd in
        let v = pv + ov, d = pd + od
        for j in 0..<n { d[j * sd] += v[j * sv] }
    }
}
