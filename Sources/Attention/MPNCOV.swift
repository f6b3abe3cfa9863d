import TensorCore

/// Second-order pooling pieces of MPN-COV (jiangtaoxie/MPN-COV), shared by GSoP and SOCA, built
/// from differentiable ops (autograd gives the gradients of the official custom backward).
enum MPNCOV {
    /// `CovpoolLayer`: per-sample channel covariance X Î Xᵀ with Î = (I − 11ᵀ/M)/M, (B, C, H, W) → (B, C, C).
    /// Computed as the centred product (X − mean)(X − mean)ᵀ / M (the same matrix).
    static func covariance(_ x: Tensor) -> Tensor {
        let b = x.shape[0], c = x.shape[1], m = x.shape[2] * x.shape[3]
        let flat = x.reshaped(b, c, m)
        let centred = flat - flat.mean(axis: 2, keepDims: true)
        return centred.bmm(centred.transposed(1, 2)) * (1 / Float(m))
    }

    /// `SqrtmLayer`: Newton–Schulz matrix square root of (B, d, d) with `iterations` steps, trace
    /// pre-normalisation and post-compensation by √trace.
    static func sqrtm(_ x: Tensor, iterations: Int) -> Tensor {
        let b = x.shape[0], d = x.shape[1]
        let eye = Tensor.eye(d)
        let i3 = eye * 3
        let normA = (x * eye).sum(axes: [1, 2])               // trace, (B)
        let a = x / normA.reshaped(b, 1, 1)
        let yzy: Tensor
        var zy = (i3 - a) * 0.5
        if iterations < 2 {
            yzy = a.bmm(zy)
        } else {
            var y = a.bmm(zy)
            var z = zy
            for _ in 1..<(iterations - 1) {
                zy = (i3 - z.bmm(y)) * 0.5
                (y, z) = (y.bmm(zy), zy.bmm(z))
            }
            yzy = y.bmm(i3 - z.bmm(y)) * 0.5
        }
        return yzy * normA.sqrt().reshaped(b, 1, 1)
    }
}
