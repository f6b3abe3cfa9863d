import Kernels

/// Visits every element of `shape` in row-major order, giving offsets under two stride sets.
/// Adjacent dims that stay contiguous under both are merged; the innermost run goes to `body`
/// as (offsetA, offsetB, length, strideA, strideB). Parallel over the outer runs.
func stridedRuns(_ shape: [Int], _ sa: [Int], _ sb: [Int],
                 _ body: (Int, Int, Int, Int, Int) -> Void) {
    var dims: [Int] = [], da: [Int] = [], db: [Int] = []
    for i in 0..<shape.count where shape[i] != 1 {
        if let last = dims.indices.last, da[last] == sa[i] * shape[i], db[last] == sb[i] * shape[i] {
            dims[last] *= shape[i]; da[last] = sa[i]; db[last] = sb[i]
        } else {
            dims.append(shape[i]); da.append(sa[i]); db.append(sb[i])
        }
    }
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
    stridedRuns(shape, contiguousStrides(shape), srcStrides) { oo, os, n, so, ss in
        let d = po + oo, s = ps + os
        if so == 1 && ss == 1 { d.update(from: s, count: n) }
        else { for j in 0..<n { d[j * so] = s[j * ss] } }
    }
    return out
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
