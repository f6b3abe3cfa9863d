import Kernels
import TensorCore

/// Winner indices of a pooling pass, kept for its pullback; workers write disjoint planes.
final class Int32Buffer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Int32>
    init(count: Int) { p = .allocate(capacity: Swift.max(count, 1)) }
    deinit { p.deallocate() }
}

extension Tensor {
    /// `max_pool2d(kernel_size=2)` (stride 2, no padding, floor), optionally followed by ReLU,
    /// in one pass over (…, H, W). The gradient goes to the first maximum of each window in
    /// row-major order, as PyTorch's (NaN wins and propagates), and is zero where the ReLU clipped.
    func maxPool2x2(relu: Bool) -> Tensor {
        let h = shape[rank - 2], w = shape[rank - 1], ho = h / 2, wo = w / 2
        let planes = count / Swift.max(h * w, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast(2)) + [ho, wo])
        // Index of the winner inside its plane, or -1 where the ReLU zeroed the output.
        let winners = Int32Buffer(count: out.count), ip = winners
        let src = UncheckedPointer(data), dst = UncheckedPointer(out.data)
        Threading.parallelFor(planes, minChunk: Swift.max(1, 4096 / Swift.max(h * w, 1))) { range in
            for p in range {
                let plane = src.p + p * h * w
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        // Row-major candidates; a later one wins if larger or NaN (PyTorch's rule).
                        let i0 = 2 * oy * w + 2 * ox
                        // Selects, not branches: on real data each comparison is a coin flip.
                        var best = plane[i0], at = Int32(i0)
                        let v1 = plane[i0 + 1], t1 = v1 > best || v1 != v1
                        best = t1 ? v1 : best; at = t1 ? Int32(i0 + 1) : at
                        let v2 = plane[i0 + w], t2 = v2 > best || v2 != v2
                        best = t2 ? v2 : best; at = t2 ? Int32(i0 + w) : at
                        let v3 = plane[i0 + w + 1], t3 = v3 > best || v3 != v3
                        best = t3 ? v3 : best; at = t3 ? Int32(i0 + w + 1) : at
                        let o = (p * ho + oy) * wo + ox
                        let clipped = relu && best <= 0
                        dst.p[o] = clipped ? 0 : best
                        ip.p[o] = clipped ? -1 : at
                    }
                }
            }
        }
        let inShape = shape, hw = h * w, pw = ho * wo
        return Tensor.differentiable(relu ? "max_pool2x2_relu" : "max_pool2x2", inputs: [self], output: out) { g in
            let gx = Tensor.zeros(inShape)
            let gs = g.data, gd = gx.data
            let idx = winners.p
            for p in 0..<planes {
                for q in 0..<pw where idx[p * pw + q] >= 0 { gd[p * hw + Int(idx[p * pw + q])] = gs[p * pw + q] }
            }
            return [gx]
        }
    }
}
