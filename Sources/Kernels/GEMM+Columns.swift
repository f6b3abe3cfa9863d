import CKernels
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Our AVX-512 GEMM (CKernels/gemm.c) over a batch of column blocks. It serves 1×1 convolutions,
/// where OpenBLAS's per-image products lose (the columns of all images in one product, op(A) packed
/// once and shared by the workers, 7×7 maps filling whole register tiles), and `sgemm` /
/// `sgemmBatched` for products large enough (`servesProduct`): 12 × 32 register tiles over 512-deep
/// packs reach about 200 GFLOP/s on the 2-core Zen 4 against OpenBLAS's 180–190.
public enum ColumnGEMM {
    /// Whether the kernel runs on this CPU (AVX-512F/VL; `AZOO_CONV_ISA` below 2 or `AZOO_COLUMN_GEMM=0`
    /// turn it off, the latter for side-by-side runs of whole modules).
    public static let available: Bool =
        azoo_gemm_available() != 0 && getenv("AZOO_COLUMN_GEMM").map { String(cString: $0) } != "0"

    /// Whether `sgemm` / `sgemmBatched` may use it (`AZOO_GEMM_PRODUCTS=0`: only the 1×1 convolutions).
    static let productsToo: Bool = available && getenv("AZOO_GEMM_PRODUCTS").map { String(cString: $0) } != "0"

    /// The fewest columns per image it takes (a 32-column register tile spans at most three images).
    public static let minimumColumns = 16

    /// Whether a plain product (one image) goes here rather than to OpenBLAS: m ≥ 96 rows (12-row
    /// register tiles: PAM's 64-row products, 72 rows computed, ran up to 1.1× OpenBLAS's time) and
    /// k ≥ 64 (the register tile's loads and stores amortised), n ≥ 256 columns (the workers split the
    /// columns in 32-wide strips: ResNeXt's per-image 1×1 products, n = 196, ran 1.25× slower) or
    /// ≥ 64 with enough rows to split them instead (`byRows`), op(A)
    /// at most 4 MB (it is packed whole before the product: SK's im2col weights, up to 200 MB, ran 1.7×
    /// slower) or at most 64 MB with n ≥ 512 (the packing amortised: Faster R-CNN's fc6, 1000 × 12544 ×
    /// 1024, 220 → 150 ms on a loaded machine), and ≥ 2²¹ multiply-adds.
    static func servesProduct(m: Int, n: Int, k: Int) -> Bool {
        productsToo && m >= 96 && k >= 64 && (n >= 256 || (n >= 64 && byRows(m: m, columns: n)))
            && (m * k <= 1 << 20 || (m * k <= 1 << 24 && n >= 512)) && m * n * k >= 1 << 21
    }

    /// Whether the workers split the rows rather than the columns: fewer than 512 columns in all (16
    /// strips) and at least 8 row strips per worker (each then packs all of B for its rows).
    static func byRows(m: Int, columns: Int) -> Bool {
        columns < 512 && (m + 11) / 12 >= 8 * Threading.workerCount
    }

    /// `C_n = α·op(A)·op(B_n) + β·C_n (+ bias[i] on row i)` for n in 0..<images: op(A) is m×k (`a[p·lda + i]`
    /// when `transA`, else `a[i·lda + p]`); B_n (k × columns, rows `ldb` apart) starts at `b + n·bStride`,
    /// or with `transB` (one image) B is columns × k and op(B) its transpose; C_n (m × columns, rows `ldc`
    /// apart) at `c + n·cStride`. Needs `available` and `columns ≥ minimumColumns`; runs on all
    /// workers, or on the calling thread only with `serial`. `epilogue` (row i its channel i, residual
    /// at c's offsets) is applied to the finished sums.
    /// `aSegment` (A not transposed) and `bSegment` (B transposed): a depth that runs over segments
    /// of `length` (≥ 16) floats, `stride` apart, so that a sum over images (a weight gradient's Σ_n
    /// dY_n · X_nᵀ) reads the images where they lie instead of copies laid side by side: element
    /// (i, p) of A at `a + (p / length)·stride + i·lda + p % length`, and likewise for row j of B.
    public static func multiply(transA: Bool, transB: Bool = false, m: Int, k: Int, alpha: Float = 1,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, bStride: Int,
                                columns: Int, images: Int, beta: Float, bias: UnsafePointer<Float>?,
                                c: UnsafeMutablePointer<Float>, ldc: Int, cStride: Int, serial: Bool = false,
                                epilogue: UnsafePointer<azoo_epilogue>? = nil,
                                aSegment: (length: Int, stride: Int)? = nil, bSegment: (length: Int, stride: Int)? = nil) {
        precondition(available && columns >= minimumColumns && (!transB || images == 1),
                     "ColumnGEMM: unavailable here, \(columns) columns < \(minimumColumns), or transB over \(images) images")
        precondition(aSegment.map { !transA && $0.length >= 16 } ?? true && bSegment.map { transB && $0.length >= 16 } ?? true,
                     "ColumnGEMM: segments need A plain, B transposed and ≥ 16 floats each")
        guard m > 0, columns > 0, images > 0 else { return }
        guard k > 0 else {
            precondition(epilogue == nil, "ColumnGEMM: an epilogue needs k > 0")
            for n in 0..<images {
                for i in 0..<m {
                    let row = c + n * cStride + i * ldc, add = bias?[i] ?? 0
                    for j in 0..<columns { row[j] = (beta == 0 ? 0 : beta * row[j]) + add }
                }
            }
            return
        }
        let packedCount = azoo_gemm_packed_a_size(m, k)
        let packed = LargeBlocks.take(packedCount) ?? UnsafeMutablePointer<Float>.allocate(capacity: packedCount)
        defer { if !LargeBlocks.keep(packed, packedCount) { packed.deallocate() } }
        let strips = (m + 11) / 12, total = images * columns
        let parallel = !serial && m * k * total >= (1 << 21)
        let pa = UncheckedSendable(UnsafePointer(packed)), pm = UncheckedSendable(packed)
        let aa = UncheckedSendable(a), bb = UncheckedSendable(b), cc = UncheckedSendable(c)
        let bs = bias.map { UncheckedSendable($0) }, ep = epilogue.map { UncheckedSendable($0) }
        let tb: Int32 = transB ? 1 : 0
        let bs0 = bSegment?.stride ?? bStride, kseg = bSegment?.length ?? 0, aseg = aSegment
        @Sendable func pack(_ s0: Int, _ s1: Int) {
            if let aseg {
                azoo_gemm_pack_a_segments(m, k, alpha, aa.value, lda, aseg.length, aseg.stride, pm.value, s0, s1)
            } else {
                azoo_gemm_pack_a(transA ? 1 : 0, m, k, alpha, aa.value, lda, pm.value, s0, s1)
            }
        }
        if !parallel {
            pack(0, strips)
            azoo_gemm_run(m, k, packed, tb, b, ldb, bs0, columns, beta, bias, c, ldc, cStride, 0, total, 0, strips, epilogue, kseg)
            return
        }
        if byRows(m: m, columns: total) {
            // Few columns, many rows: each worker packs its own row strips and runs all columns.
            Threading.parallelFor(strips) { r in
                pack(r.lowerBound, r.upperBound)
                azoo_gemm_run(m, k, pa.value, tb, bb.value, ldb, bs0, columns, beta, bs?.value, cc.value, ldc, cStride,
                              0, total, r.lowerBound, r.upperBound, ep?.value, kseg)
            }
            return
        }
        Threading.parallelFor(strips) { r in pack(r.lowerBound, r.upperBound) }
        // Column ranges in whole 32-column strips, one per worker.
        Threading.parallelFor((total + 31) / 32) { r in
            let t0 = r.lowerBound * 32, t1 = min(total, r.upperBound * 32)
            azoo_gemm_run(m, k, pa.value, tb, bb.value, ldb, bs0, columns, beta, bs?.value, cc.value, ldc, cStride, t0, t1,
                          0, strips, ep?.value, kseg)
        }
    }
}
