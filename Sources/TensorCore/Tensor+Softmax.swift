import Foundation
import Kernels

/// Fused softmax and log-softmax over any axis.
///
/// Two layouts, both vectorised: along the last axis (stride 1) each row is reduced with
/// eight-lane partial maxima and sums; along an inner axis (stride `inner` > 1, e.g. softmax over
/// channels) each (n, inner) slab is processed in column blocks, so every loop runs over
/// contiguous memory and the per-column maxima and sums are vectors, not strided scalar chains.
extension Tensor {
    /// Column-block width of the slab path: a block of `n` rows stays in L1/L2.
    private static let softmaxBlock = 512

    /// Runs `row(x, y, n)` for every contiguous line when `axis` is the last one, otherwise
    /// `slab(x, y, n, inner, width)` for every column block of every (n, inner) slab, where
    /// element (j, k) of the block is at `j * inner + k`. Both in parallel over the work.
    private func alongAxis(_ a: Int, source: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                           row: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                           slab: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Int) -> Void) {
        let outer = shapeCount(Array(shape[..<a])), n = shape[a], inner = shapeCount(Array(shape[(a + 1)...]))
        if count == 0 { return }
        if inner == 1 {
            Threading.parallelFor(outer, minChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { range in
                for o in range { row(source + o * n, dst + o * n, n) }
            }
            return
        }
        let block = Tensor.softmaxBlock, blocks = (inner + block - 1) / block
        Threading.parallelFor(outer * blocks, minChunk: Swift.max(1, 8192 / Swift.max(n * Swift.min(inner, block), 1))) { range in
            for unit in range {
                let o = unit / blocks, k0 = (unit % blocks) * block
                let off = o * n * inner + k0
                slab(source + off, dst + off, n, inner, Swift.min(block, inner - k0))
            }
        }
    }

    /// exp(x − max) / Σ exp(x − max) along `axis`.
    public func softmax(axis: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "softmax")
        let out = Tensor(uninitializedShape: shape)
        alongAxis(a, source: data, into: out.data, row: { x, y, n in
            let total = VectorMath.expShiftSum(x, y, count: n, shift: VectorMath.max(x, count: n))
            RowMath.scale(y, n, by: 1 / total)
        }, slab: { x, y, n, inner, width in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * width) { buf in
                let m = buf.baseAddress!, total = m + width
                RowMath.columnMax(x, n, inner, width, into: m)
                total.update(repeating: 0, count: width)
                for j in 0..<n {
                    let xr = x + j * inner, yr = y + j * inner
                    for k in 0..<width { yr[k] = xr[k] - m[k] }
                    VectorMath.apply(.exp, yr, yr, count: width, parallel: false)
                    for k in 0..<width { total[k] += yr[k] }
                }
                for k in 0..<width { total[k] = 1 / total[k] }
                for j in 0..<n { let yr = y + j * inner; for k in 0..<width { yr[k] *= total[k] } }
            }
        })
        // dx = y ⊙ (g − Σ g⊙y)
        return Tensor.differentiable("softmax", inputs: [self], output: out) { g in
            let gx = Tensor(uninitializedShape: out.shape)
            let gp = g.data, yp = out.data
            out.alongAxis(a, source: yp, into: gx.data, row: { y, dx, n in
                let gl = gp + (y - yp)
                let dot = RowMath.dot(gl, y, n)
                for j in 0..<n { dx[j] = y[j] * (gl[j] - dot) }
            }, slab: { y, dx, n, inner, width in
                let gl = gp + (y - yp)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { buf in
                    let dot = buf.baseAddress!
                    dot.update(repeating: 0, count: width)
                    for j in 0..<n { let gr = gl + j * inner, yr = y + j * inner; for k in 0..<width { dot[k] += gr[k] * yr[k] } }
                    for j in 0..<n {
                        let gr = gl + j * inner, yr = y + j * inner, dr = dx + j * inner
                        for k in 0..<width { dr[k] = yr[k] * (gr[k] - dot[k]) }
                    }
                }
            })
            return [gx]
        }
    }

    /// x − max − log Σ exp(x − max) along `axis`.
    public func logSoftmax(axis: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "log_softmax")
        let out = Tensor(uninitializedShape: shape)
        alongAxis(a, source: data, into: out.data, row: { x, y, n in
            let m = VectorMath.max(x, count: n)
            let lse = m + Foundation.log(VectorMath.expShiftSum(x, y, count: n, shift: m))
            for j in 0..<n { y[j] = x[j] - lse }
        }, slab: { x, y, n, inner, width in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * width) { buf in
                let m = buf.baseAddress!, total = m + width
                RowMath.columnMax(x, n, inner, width, into: m)
                total.update(repeating: 0, count: width)
                for j in 0..<n {
                    let xr = x + j * inner, yr = y + j * inner
                    for k in 0..<width { yr[k] = xr[k] - m[k] }
                    VectorMath.apply(.exp, yr, yr, count: width, parallel: false)
                    for k in 0..<width { total[k] += yr[k] }
                }
                for k in 0..<width { total[k] = m[k] + Foundation.log(total[k]) }
                for j in 0..<n { let xr = x + j * inner, yr = y + j * inner; for k in 0..<width { yr[k] = xr[k] - total[k] } }
            }
        })
        // dx = g − softmax ⊙ Σ g
        return Tensor.differentiable("log_softmax", inputs: [self], output: out) { g in
            let gx = Tensor(uninitializedShape: out.shape)
            let gp = g.data, yp = out.data
            out.alongAxis(a, source: yp, into: gx.data, row: { y, dx, n in
                let gl = gp + (y - yp)
                let total = RowMath.sum(gl, n)
                VectorMath.apply(.exp, y, dx, count: n, parallel: false)
                for j in 0..<n { dx[j] = gl[j] - dx[j] * total }
            }, slab: { y, dx, n, inner, width in
                let gl = gp + (y - yp)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { buf in
                    let total = buf.baseAddress!
                    total.update(repeating: 0, count: width)
                    for j in 0..<n { let gr = gl + j * inner; for k in 0..<width { total[k] += gr[k] } }
                    for j in 0..<n {
                        let gr = gl + j * inner, yr = y + j * inner, dr = dx + j * inner
                        VectorMath.apply(.exp, yr, dr, count: width, parallel: false)
                        for k in 0..<width { dr[k] = gr[k] - dr[k] * total[k] }
                    }
                }
            })
            return [gx]
        }
    }
}

/// Eight-lane row reductions for the softmax paths (a scalar max or sum loop is a serial
/// dependency chain the compiler may not reassociate).
enum RowMath {
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= n { acc += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self); j += 8 }
        var s = acc.sum()
        while j < n { s += x[j]; j += 1 }
        return s
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= n {
            acc += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var s = acc.sum()
        while j < n { s += a[j] * b[j]; j += 1 }
        return s
    }

    @inline(__always)
    static func scale(_ y: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        for j in 0..<n { y[j] *= s }
    }

    /// m[k] = max over j of x[j * inner + k], k < width.
    @inline(__always)
    static func columnMax(_ x: UnsafePointer<Float>, _ n: Int, _ inner: Int, _ width: Int, into m: UnsafeMutablePointer<Float>) {
        m.update(from: x, count: width)
        for j in 1..<Swift.max(n, 1) {
            let xr = x + j * inner
            for k in 0..<width { let v = xr[k]; m[k] = v > m[k] ? v : m[k] }
        }
    }
}
