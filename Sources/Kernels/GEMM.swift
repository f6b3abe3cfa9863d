import CBLAS

/// Row-major single-precision GEMM through OpenBLAS: `C = α·op(A)·op(B) + β·C`.
/// `op(A)` is m×k, `op(B)` is k×n, `C` is m×n with leading dimension `ldc`.
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // C = β·C (BLAS would do the same; spelled out so β = 0 clears NaNs).
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// `batch` independent GEMMs with α = 1 over strided operands (strides in elements).
public func sgemmBatched(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
                         c: UnsafeMutablePointer<Float>, strideC: Int, beta: Float) {
    let lda = transA ? m : k
    let ldb = transB ? k : n
    for i in 0..<batch {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
              a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
              beta: beta, c: c + i * strideC, ldc: n)
    }
}
