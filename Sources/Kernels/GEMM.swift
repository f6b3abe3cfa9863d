import CBLAS

/// OpenBLAS runs single-threaded and large products are split over our own workers, so that one
/// thread pool serves the whole engine: OpenBLAS's idle workers otherwise spin (sched_yield) for a
/// long time after every call and take the cores from the elementwise ops that follow.
private let blasSingleThreaded: Bool = {
    openblas_set_num_threads(1)
    return true
}()

/// Products below this many multiply-adds run on one core (splitting costs more than it gains).
private let splitThreshold = 1 << 21

/// Row-major single-precision GEMM: `C = α·op(A)·op(B) + β·C`, on `ColumnGEMM` where it serves the
/// product (AVX-512, large enough), else through OpenBLAS.
/// `op(A)` is m×k, `op(B)` is k×n, `C` is m×n with leading dimension `ldc`. Large products are
/// split into column (or row) blocks, one per worker.
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if ColumnGEMM.servesProduct(m: m, n: n, k: k) {
        ColumnGEMM.multiply(transA: transA, transB: transB, m: m, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                            bStride: 0, columns: n, images: 1, beta: beta, bias: nil, c: c, ldc: ldc, cStride: 0)
        return
    }
    let workers = Threading.workerCount
    guard k > 0, workers > 1, m * n * k >= splitThreshold, max(m, n) >= 32 else {
        sgemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
        return
    }
    let aa = UncheckedSendable(a), bb = UncheckedSendable(b), cc = UncheckedSendable(c)
    if n >= m {
        let block = (n + workers - 1) / workers
        let step = (block + 15) / 16 * 16
        Threading.parallelFor((n + step - 1) / step) { parts in
            for part in parts {
                let j0 = part * step, cols = min(step, n - j0)
                sgemmSerial(transA: transA, transB: transB, m: m, n: cols, k: k, alpha: alpha, a: aa.value, lda: lda,
                            b: bb.value + (transB ? j0 * ldb : j0), ldb: ldb, beta: beta, c: cc.value + j0, ldc: ldc)
            }
        }
    } else {
        let block = (m + workers - 1) / workers
        let step = (block + 15) / 16 * 16
        Threading.parallelFor((m + step - 1) / step) { parts in
            for part in parts {
                let i0 = part * step, rows = min(step, m - i0)
                sgemmSerial(transA: transA, transB: transB, m: rows, n: n, k: k, alpha: alpha,
                            a: aa.value + (transA ? i0 : i0 * lda), lda: lda, b: bb.value, ldb: ldb,
                            beta: beta, c: cc.value + i0 * ldc, ldc: ldc)
            }
        }
    }
}

/// One OpenBLAS call on the calling thread.
func sgemmSerial(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    _ = blasSingleThreaded
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // C = β·C (BLAS would do the same; spelled out so β = 0 clears NaNs).
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// `batch` independent GEMMs with α = 1 over strided operands (strides in elements): in
/// parallel over the batch when there are several, each product split otherwise.
public func sgemmBatched(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
                         c: UnsafeMutablePointer<Float>, strideC: Int, beta: Float) {
    let lda = transA ? m : k
    let ldb = transB ? k : n
    if batch < Threading.workerCount {
        for i in 0..<batch {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a + i * strideA, lda: lda,
                  b: b + i * strideB, ldb: ldb, beta: beta, c: c + i * strideC, ldc: n)
        }
        return
    }
    let aa = UncheckedSendable(a), bb = UncheckedSendable(b), cc = UncheckedSendable(c)
    let ours = ColumnGEMM.servesProduct(m: m, n: n, k: k)
    Threading.parallelFor(batch, minChunk: max(1, (1 << 16) / max(1, m * n * k))) { r in
        for i in r where ours {
            ColumnGEMM.multiply(transA: transA, transB: transB, m: m, k: k, a: aa.value + i * strideA, lda: lda,
                                b: bb.value + i * strideB, ldb: ldb, bStride: 0, columns: n, images: 1, beta: beta,
                                bias: nil, c: cc.value + i * strideC, ldc: n, cStride: 0, serial: true)
        }
        for i in r where !ours {
            sgemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: aa.value + i * strideA, lda: lda,
                        b: bb.value + i * strideB, ldb: ldb, beta: beta, c: cc.value + i * strideC, ldc: n)
        }
    }
}

/// `C = A·Aᵀ` (n × n, rows `ldc` apart) for A n × k (rows `lda` apart) on the calling thread: OpenBLAS's
/// `ssyrk` computes the upper triangle (half the multiply-adds of a GEMM: DANet's CAM energy
/// (512 × 784) 4.1 → 2.3 ms on one core), which is then mirrored into the lower one in 16 × 16 blocks.
public func symmetricProductSerial(n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    _ = blasSingleThreaded
    guard n > 0 else { return }
    if k == 0 {
        for i in 0..<n { (c + i * ldc).update(repeating: 0, count: n) }
        return
    }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(k), 1, a, Int32(lda), 0, c, Int32(ldc))
    let block = 16
    for i0 in stride(from: 0, to: n, by: block) {
        for j0 in stride(from: 0, through: i0, by: block) {
            for i in i0..<min(i0 + block, n) {
                for j in j0..<min(j0 + block, i) { c[i * ldc + j] = c[j * ldc + i] }
            }
        }
    }
}
