import Kernels

/// Matrix products through BLAS.
extension Tensor {
    /// `torch.matmul` for rank ≥ 1: 1-D operands are promoted (and the extra axis removed),
    /// batch axes broadcast.
    public func matmul(_ other: Tensor) -> Tensor {
        checkShape(rank >= 1 && other.rank >= 1, "matmul: shapes \(shape) and \(other.shape) need rank ≥ 1")
        if rank == 1 { return unsqueezed(0).matmul(other).squeezed(-2) }
        if other.rank == 1 { return matmul(other.unsqueezed(1)).squeezed(-1) }
        let m = shape[rank - 2], k = shape[rank - 1], k2 = other.shape[other.rank - 2], n = other.shape[other.rank - 1]
        checkShape(k == k2, "matmul: shapes \(shape) and \(other.shape) have inner sizes \(k) and \(k2)")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        let batch = broadcastShapes(batchA, batchB, op: "matmul")
        let a = batchA == batch ? self : expanded(batch + [m, k])
        let b = batchB == batch ? other : other.expanded(batch + [k, n])
        let out = Tensor.bmmRaw(a, b, batch: shapeCount(batch), m: m, k: k, n: n, transA: false, transB: false)
            .reshapedRaw(batch + [m, n])
        MACCounter.record(shapeCount(batch) * m * k * n)
        // dA = G·Bᵀ, dB = Aᵀ·G
        return Tensor.differentiable("matmul", inputs: [a, b], output: out) { g in
            let bc = shapeCount(batch)
            return [a.requiresGrad ? Tensor.bmmRaw(g, b, batch: bc, m: m, k: n, n: k, transA: false, transB: true).reshapedRaw(a.shape) : nil,
                    b.requiresGrad ? Tensor.bmmRaw(a, g, batch: bc, m: k, k: m, n: n, transA: true, transB: false).reshapedRaw(b.shape) : nil]
        }
    }

    /// Batched product on raw storage: op(A) is m×k, op(B) is k×n per batch entry.
    static func bmmRaw(_ a: Tensor, _ b: Tensor, batch: Int, m: Int, k: Int, n: Int, transA: Bool, transB: Bool) -> Tensor {
        let out = Tensor(uninitializedShape: [batch, m, n])
        if m * n == 0 { return out }
        if batch == 1 {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                  a: a.data, lda: transA ? m : k, b: b.data, ldb: transB ? k : n, beta: 0, c: out.data, ldc: n)
        } else {
            sgemmBatched(batch: batch, transA: transA, transB: transB, m: m, n: n, k: k,
                         a: a.data, strideA: m * k, b: b.data, strideB: k * n, c: out.data, strideC: m * n, beta: 0)
        }
        return out
    }

    /// Batched matrix product of (B, m, k) and (B, k, n).
    public func bmm(_ other: Tensor) -> Tensor {
        checkShape(rank == 3 && other.rank == 3 && shape[0] == other.shape[0] && shape[2] == other.shape[1],
                   "bmm: shapes \(shape) and \(other.shape) are not (B,m,k) and (B,k,n)")
        return matmul(other)
    }
}
