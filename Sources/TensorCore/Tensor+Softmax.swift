import Foundation
import Kernels

/// Fused softmax and log-softmax over any axis.
extension Tensor {
    /// Runs `body(row, stride, n, outRow)` for every line along `axis`.
    private func alongAxis(_ a: Int, into out: Tensor, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void) {
        let outer = shapeCount(Array(shape[..<a])), n = shape[a], inner = shapeCount(Array(shape[(a + 1)...]))
        let src = data, dst = out.data
        Threading.parallelFor(outer * inner, minChunk: Swift.max(1, 8192 / Swift.max(n, 1))) { range in
            for line in range {
                let o = line / inner, i = line % inner
                let off = o * n * inner + i
                body(src + off, dst + off, n, inner)
            }
        }
    }

    /// exp(x − max) / Σ exp(x − max) along `axis`.
    public func softmax(axis: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "softmax")
        let out = Tensor(uninitializedShape: shape)
        alongAxis(a, into: out) { x, y, n, s in
            var m = -Float.infinity
            for j in 0..<n { m = Swift.max(m, x[j * s]) }
            var total: Float = 0
            if s == 1 {
                total = VectorMath.expShiftSum(x, y, count: n, shift: m)
            } else {
                for j in 0..<n { let e = Foundation.exp(x[j * s] - m); y[j * s] = e; total += e }
            }
            let inv = 1 / total
            for j in 0..<n { y[j * s] *= inv }
        }
        // dx = y ⊙ (g − Σ g⊙y)
        return Tensor.differentiable("softmax", inputs: [self], output: out) { g in
            let gx = Tensor(uninitializedShape: out.shape)
            let gp = g.data, yp = out.data
            out.alongAxis(a, into: gx) { y, dx, n, s in
                let gl = gp + (y - yp)
                var dot: Float = 0
                for j in 0..<n { dot += gl[j * s] * y[j * s] }
                for j in 0..<n { dx[j * s] = y[j * s] * (gl[j * s] - dot) }
            }
            return [gx]
        }
    }

    /// x − max − log Σ exp(x − max) along `axis`.
    public func logSoftmax(axis: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "log_softmax")
        let out = Tensor(uninitializedShape: shape)
        alongAxis(a, into: out) { x, y, n, s in
            var m = -Float.infinity
            for j in 0..<n { m = Swift.max(m, x[j * s]) }
            var total: Float = 0
            for j in 0..<n { total += Foundation.exp(x[j * s] - m) }
            let lse = m + Foundation.log(total)
            for j in 0..<n { y[j * s] = x[j * s] - lse }
        }
        // dx = g − softmax ⊙ Σ g
        return Tensor.differentiable("log_softmax", inputs: [self], output: out) { g in
            let gx = Tensor(uninitializedShape: out.shape)
            let gp = g.data, yp = out.data
            out.alongAxis(a, into: gx) { y, dx, n, s in
                let gl = gp + (y - yp)
                var total: Float = 0
                for j in 0..<n { total += gl[j * s] }
                for j in 0..<n { dx[j * s] = gl[j * s] - Foundation.exp(y[j * s]) * total }
            }
            return [gx]
        }
    }
}
