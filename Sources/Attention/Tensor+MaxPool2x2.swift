import TensorCore

extension Tensor {
    /// `max_pool2d(kernel_size=2)` (stride 2, no padding, floor), optionally followed by ReLU,
    /// in one pass over (…, H, W). The gradient goes to the first maximum of each window in
    /// row-major order, as PyTorch's (NaN wins and propagates), and is zero where the ReLU clipped.
    func maxPool2x2(relu: Bool) -> Tensor {
        let h = shape[rank - 2], w = shape[rank - 1], ho = h / 2, wo = w / 2
        let planes = count / Swift.max(h * w, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast(2)) + [ho, wo])
        // Index of the winner inside its plane, or -1 where the ReLU zeroed the output.
        var winners = [Int32](repeating: -1, count: out.count)
        let src = data, dst = out.data
        winners.withUnsafeMutableBufferPointer { idx in
            for p in 0..<planes {
                let plane = src + p * h * w
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let i0 = 2 * oy * w + 2 * ox
                        var best = plane[i0], at = i0
                        for i in [i0 + 1, i0 + w, i0 + w + 1] where plane[i] > best || plane[i].isNaN { best = plane[i]; at = i }
                        let o = (p * ho + oy) * wo + ox
                        if relu && best <= 0 {
                            dst[o] = 0
                        } else {
                            dst[o] = best
                            idx[o] = Int32(at)
                        }
                    }
                }
            }
        }
        let inShape = shape, hw = h * w, pw = ho * wo
        return Tensor.differentiable(relu ? "max_pool2x2_relu" : "max_pool2x2", inputs: [self], output: out) { g in
            let gx = Tensor.zeros(inShape)
            let gs = g.data, gd = gx.data
            winners.withUnsafeBufferPointer { idx in
                for p in 0..<planes {
                    for q in 0..<pw where idx[p * pw + q] >= 0 { gd[p * hw + Int(idx[p * pw + q])] = gs[p * pw + q] }
                }
            }
            return [gx]
        }
    }
}
