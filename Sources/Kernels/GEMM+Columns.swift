import CKernels
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Our AVX-512 GEMM (CKernels/gemm.c) over a batch of column blocks, used where OpenBLAS's
/// per-image products lose: a 1×1 convolution of N images is one product whose columns run through
/// all images (op(A) packed once and shared by the workers, 7×7 maps filling whole register tiles).
/// Measured on the 2-core Zen 4 (`/tmp` harness, min of 20): (256×1024)·(1024×196) × 8 images
/// 4.2 ms (198 GF/s) against 6.8 ms for OpenBLAS image by image.
public enum ColumnGEMM {
    /// Whether the kernel runs on this CPU (AVX-512F/VL; `AZOO_CONV_ISA` below 2 or `AZOO_COLUMN_GEMM=0`
    /// turn it off, the latter for side-by-side runs of whole modules).
    public static let available: Bool =
        azoo_gemm_available() != 0 && getenv("AZOO_COLUMN_GEMM").map { String(cString: $0) } != "0"

    /// The fewest columns per image it takes (a 32-column register tile spans at most three images).
    public static let minimumColumns = 16

    /// `C_n = α·op(A)·B_n + β·C_n (+ bias[i] on row i)` for n in 0..<images: op(A) is m×k (`a[p·lda + i]`
    /// when `transA`, else `a[i·lda + p]`); B_n (k × columns, rows `ldb` apart) starts at `b + n·bStride`,
    /// C_n (m × columns, rows `ldc` apart) at `c + n·cStride`. Needs `available` and
    /// `columns ≥ minimumColumns`; runs on all workers.
    public static func multiply(transA: Bool, m: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, bStride: Int, columns: Int, images: Int,
                                beta: Float, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
                                cStride: Int) {
        precondition(available && columns >= minimumColumns, "ColumnGEMM: unavailable here or \(columns) columns < \(minimumColumns)")
        guard m > 0, columns > 0, images > 0 else { return }
        guard k > 0 else {
            for n in 0..<images {
                for i in 0..<m {
                    let row = c + n * cStride + i * ldc, add = bias?[i] ?? 0
                    for j in 0..<columns { row[j] = (beta == 0 ? 0 : beta * row[j]) + add }
                }
            }
            return
        }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: azoo_gemm_packed_a_size(m, k))
        defer { packed.deallocate() }
        let strips = (m + 11) / 12, total = images * columns
        let work = m * k * total
        let workers = work >= (1 << 21) ? Threading.workerCount : 1
        let pa = UncheckedSendable(UnsafePointer(packed)), pm = UncheckedSendable(packed)
        let aa = UncheckedSendable(a), bb = UncheckedSendable(b), cc = UncheckedSendable(c)
        let bs = bias.map { UncheckedSendable($0) }
        Threading.parallelFor(strips, minChunk: workers > 1 ? 1 : Int.max) { r in
            azoo_gemm_pack_a(transA ? 1 : 0, m, k, alpha, aa.value, lda, pm.value, r.lowerBound, r.upperBound)
        }
        // Column ranges in whole 32-column strips, one per worker.
        let strips32 = (total + 31) / 32
        Threading.parallelFor(strips32, minChunk: workers > 1 ? 1 : Int.max) { r in
            let t0 = r.lowerBound * 32, t1 = min(total, r.upperBound * 32)
            azoo_gemm_run(m, k, pa.value, bb.value, ldb, bStride, columns, beta, bs?.value, cc.value, ldc, cStride, t0, t1)
        }
    }
}
