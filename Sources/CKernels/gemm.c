// Single-precision GEMM for AVX-512 over a batch of column blocks: C_n = α·op(A)·B_n + β·C_n (+ bias)
// for n images, the images' columns read as one long row of columns (so a 1×1 convolution of
// a batch is one product, and 7×7 maps fill whole register tiles). Blocked after Goto and van de
// Geijn: op(A) is packed once per call (12-row strips per KC-deep block, shared by the workers),
// a KC × NC panel of B in 32-column strips per worker, and a 12 × 32 register tile (24
// accumulators) runs over each pair of strips. Zero padding in the packs makes every tile full;
// the stores are masked, and tiles that straddle two images go through a buffer. op(B) may also
// be Bᵀ of a single image (packed by 16 × 16 register transposes), and the workers may split the
// rows instead of the columns (azoo_gemm_run's strip range).
#include "conv_vec.h"
#include "ckernels.h"

#define MR 12
#define NR 32
#define KC 512
#define MC 96
/// B panel width: 96 columns while op(A) packed fits in L2 (≤ 1 MB: a 1×1 convolution's weights),
/// else 384 (fewer passes over a large A: 2048³ on both cores 96 → 83 ms in a C harness).
#define NC_SMALL 96
#define NC_LARGE 384

long azoo_gemm_packed_a_size(long m, long k) { return (m + MR - 1) / MR * MR * k; }

int azoo_gemm_available(void) {
#if CONV_X86
    return conv_isa() >= 2;
#else
    return 0;
#endif
}

/// Strip s of the KC block starting at column pc: rows s·MR..<s·MR+MR as [p][MR].
static inline float *a_strip(float *apack, long m, long pc, long kc, long s) {
    return apack + pc * ((m + MR - 1) / MR * MR) + s * MR * kc;
}

#if CONV_X86
/// A full strip of MR rows (rows lda apart) for columns 0..<kc rounded down to 4, as [p][MR], times
/// alpha, by 4 × 4 transposes; returns the columns done.
static AVX2 long pack_a_rows4(const float *a, long lda, long kc, float alpha, float *d) {
    const __m128 va = _mm_set1_ps(alpha);
    const long k4 = kc / 4 * 4;
    for (long p = 0; p < k4; p += 4) {
        for (long q = 0; q < MR; q += 4) {
            __m128 r0 = _mm_loadu_ps(a + q * lda + p), r1 = _mm_loadu_ps(a + (q + 1) * lda + p);
            __m128 r2 = _mm_loadu_ps(a + (q + 2) * lda + p), r3 = _mm_loadu_ps(a + (q + 3) * lda + p);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(d + p * MR + q, _mm_mul_ps(va, r0));
            _mm_storeu_ps(d + (p + 1) * MR + q, _mm_mul_ps(va, r1));
            _mm_storeu_ps(d + (p + 2) * MR + q, _mm_mul_ps(va, r2));
            _mm_storeu_ps(d + (p + 3) * MR + q, _mm_mul_ps(va, r3));
        }
    }
    return k4;
}
#endif

#if CONV_X86
/// A strip of op(A) = Aᵀ: for each of kc columns, r ≤ 12 contiguous floats (rows lda apart in A) times
/// alpha, zero padded to 12, by masked 16-lane moves.
static AVX512 void pack_a_cols512(const float *a, long lda, long kc, long r, float alpha, float *d) {
    const __mmask16 m = (__mmask16)((1u << r) - 1);
    const __m512 va = _mm512_set1_ps(alpha);
    for (long p = 0; p < kc; p++)
        _mm512_mask_storeu_ps(d + p * MR, 0x0fff, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, a + p * lda)));
}
#endif

/// Columns 0..<len of r ≤ MR rows of A (rows lda apart from src) times alpha into d as [p][MR], rows
/// r..<MR zero.
static void pack_a_run(const float *src, long lda, long r, long len, float alpha, float *d) {
    long p = 0;
#if CONV_X86
    if (r == MR && conv_isa() >= 1) p = pack_a_rows4(src, lda, len, alpha, d);
#endif
    for (long q = 0; q < r; q++)
        for (long pp = p; pp < len; pp++) d[pp * MR + q] = alpha * src[q * lda + pp];
    for (long q = r; q < MR; q++) for (long pp = p; pp < len; pp++) d[pp * MR + q] = 0;
}

void azoo_gemm_pack_a(int trans, long m, long k, float alpha, const float *a, long lda, float *apack, long s0, long s1) {
    for (long pc = 0; pc < k; pc += KC) {
        const long kc = k - pc < KC ? k - pc : KC;
        for (long s = s0; s < s1; s++) {
            float *d = a_strip(apack, m, pc, kc, s);
            const long i0 = s * MR, r = m - i0 < MR ? m - i0 : MR;
            if (trans) {
#if CONV_X86
                if (conv_isa() >= 2) { pack_a_cols512(a + pc * lda + i0, lda, kc, r, alpha, d); continue; }
#endif
                for (long p = 0; p < kc; p++) {
                    const float *src = a + (pc + p) * lda + i0;
                    long q = 0;
                    for (; q < r; q++) d[p * MR + q] = alpha * src[q];
                    for (; q < MR; q++) d[p * MR + q] = 0;
                }
            } else {
                pack_a_run(a + i0 * lda + pc, lda, r, kc, alpha, d);
            }
        }
    }
}

void azoo_gemm_pack_a_segments(long m, long k, float alpha, const float *a, long lda, long seg, long segStride, float *apack,
                               long s0, long s1) {
    for (long pc = 0; pc < k; pc += KC) {
        const long kc = k - pc < KC ? k - pc : KC;
        for (long s = s0; s < s1; s++) {
            float *d = a_strip(apack, m, pc, kc, s);
            const long i0 = s * MR, r = m - i0 < MR ? m - i0 : MR;
            for (long q0 = pc; q0 < pc + kc;) {   // one run per segment the block touches
                const long img = q0 / seg, pos = q0 % seg, len = seg - pos < pc + kc - q0 ? seg - pos : pc + kc - q0;
                pack_a_run(a + img * segStride + i0 * lda + pos, lda, r, len, alpha, d + (q0 - pc) * MR);
                q0 += len;
            }
        }
    }
}

#if CONV_X86
/// Up to three pieces of one strip's columns, each inside one image.
typedef struct { long count; long off[3], len[3], img[3], pos[3]; } segments;

static segments strip_segments(long t, long width, long ncols) {
    segments sg = {0, {0}, {0}, {0}, {0}};
    long off = 0;
    while (off < width) {
        const long img = (t + off) / ncols, pos = (t + off) % ncols;
        const long len = ncols - pos < width - off ? ncols - pos : width - off;
        sg.off[sg.count] = off; sg.len[sg.count] = len; sg.img[sg.count] = img; sg.pos[sg.count] = pos;
        sg.count++;
        off += len;
        if (sg.count == 3 && off < width) break;  // ncols ≥ 16 is required by the caller
    }
    return sg;
}

static inline AVX512 __mmask16 lanes(long n) { return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1); }

/// Packs rows pc..<pc+kc of the virtual columns t0..<t0+width (strips of NR, zero padded).
static AVX512 void pack_b(const float *b, long ldb, long bstride, long ncols, long pc, long kc, long t0, long width,
                          float *dst) {
    for (long s = 0; s < width; s += NR) {
        const long w = width - s < NR ? width - s : NR;
        float *d = dst + s * kc;
        const segments sg = strip_segments(t0 + s, w, ncols);
        if (sg.count == 1) {
            const float *src = b + sg.img[0] * bstride + pc * ldb + sg.pos[0];
            const __mmask16 m0 = lanes(w), m1 = lanes(w - 16);
            for (long p = 0; p < kc; p++, src += ldb) {
                _mm_prefetch((const char *)(src + 8 * ldb), _MM_HINT_T0);
                _mm_prefetch((const char *)(src + 8 * ldb + 31), _MM_HINT_T0);
                _mm512_storeu_ps(d + p * NR, _mm512_maskz_loadu_ps(m0, src));
                _mm512_storeu_ps(d + p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
        } else {
            for (long p = 0; p < kc; p++) {
                float *row = d + p * NR;
                _mm512_storeu_ps(row, _mm512_setzero_ps());
                _mm512_storeu_ps(row + 16, _mm512_setzero_ps());
                for (long i = 0; i < sg.count; i++) {
                    const float *src = b + sg.img[i] * bstride + (pc + p) * ldb + sg.pos[i];
                    for (long o = 0; o < sg.len[i]; o += 16) {
                        const __mmask16 m = lanes(sg.len[i] - o);
                        _mm512_mask_storeu_ps(row + sg.off[i] + o, m, _mm512_maskz_loadu_ps(m, src + o));
                    }
                }
            }
        }
    }
}

/// Packs rows pc..<pc+kc of columns t0..<t0+width of op(B) = Bᵀ (B: rows j at b + j·ldb) as strips of
/// NR, zero padded, by 16 × 16 transposes. seg > 0 (at least 16): B's row j is segments of seg floats,
/// segment i at b + j·ldb + i·segStride (the images of a product whose depth runs over them).
static AVX512 void pack_bt(const float *b, long ldb, long pc, long kc, long t0, long width, float *dst, long seg,
                           long segStride) {
    for (long s = 0; s < width; s += NR) {
        float *d = dst + s * kc;
        for (long jh = 0; jh < NR; jh += 16) {
            const long vj = width - s - jh;
            for (long p0 = 0; p0 < kc; p0 += 16) {
                const long np = kc - p0 < 16 ? kc - p0 : 16;
                const __mmask16 mp = lanes(np);
                // Where depth pc + p0 lies, and the lanes n1..<np that come from the next segment.
                const long img = seg ? (pc + p0) / seg : 0, off = seg ? img * segStride + (pc + p0) % seg : pc + p0;
                const long n1 = seg && seg - (pc + p0) % seg < np ? seg - (pc + p0) % seg : np;
                const __mmask16 m1 = lanes(n1), m2 = (__mmask16)(mp & ~m1);
                const long off2 = (img + 1) * segStride - n1;   // lane l ≥ n1: element l − n1 of the next segment
                __m512 r[16];
                for (long i = 0; i < 16; i++) {
                    if (i >= vj) { r[i] = _mm512_setzero_ps(); continue; }
                    const float *row = b + (t0 + s + jh + i) * ldb;
                    r[i] = _mm512_maskz_loadu_ps(m1, row + off);
                    if (m2) r[i] = _mm512_mask_loadu_ps(r[i], m2, (const float *)((intptr_t)row + (intptr_t)off2 * (intptr_t)sizeof(float)));
                }
                transpose16(r);
                for (long q = 0; q < np; q++) _mm512_storeu_ps(d + (p0 + q) * NR + jh, r[q]);
            }
        }
    }
}

/// One row piece of a tile: d[0..<n] = x (+ β·d when first, + d otherwise, + bias when first), then the
/// epilogue of row o when e is not NULL (the last block of k).
static inline AVX512 void store_piece(float *d, __m512 x, __mmask16 m, int first, float beta, float bias,
                                      const azoo_epilogue *e, long o, long roff) {
    if (!first) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, d));
    else {
        if (beta != 0) x = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m, d), x);
        if (bias != 0) x = _mm512_add_ps(x, _mm512_set1_ps(bias));
    }
    if (e) x = epilogue512(x, e, o, d, roff, m);
    _mm512_mask_storeu_ps(d, m, x);
}

/// The 12 × 32 product of an A strip and a B strip over kc, stored into C rows `ldc` apart (rows × cols
/// of it), or into `tile` (12 × 32, plain) when c is NULL.
static AVX512 void kernel(long kc, const float *ap, const float *bp, float *c, long ldc, long rows, long cols,
                          float beta, int first, const float *bias, float *tile, const azoo_epilogue *e, long i0, long roff) {
    __m512 acc0[MR], acc1[MR];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps();
        if (c && r < rows && (!first || beta != 0)) {   // the tile is read at the end: fetch it meanwhile
            _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
        }
        if (c && r < rows && e && e->residual) {   // so is the epilogue's residual
            _mm_prefetch((const char *)(c + r * ldc + roff), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + r * ldc + roff + 16), _MM_HINT_T0);
        }
    }
    for (long p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(bp + p * NR), b1 = _mm512_loadu_ps(bp + p * NR + 16);
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            const __m512 av = _mm512_set1_ps(ap[p * MR + r]);
            acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
        }
    }
    if (!c) {
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) { _mm512_storeu_ps(tile + r * NR, acc0[r]); _mm512_storeu_ps(tile + r * NR + 16, acc1[r]); }
        return;
    }
    const __mmask16 m0 = lanes(cols), m1 = lanes(cols - 16);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        const float bv = first && bias ? bias[r] : 0;
        store_piece(c + r * ldc, acc0[r], m0, first, beta, bv, e, i0 + r, roff);
        store_piece(c + r * ldc + 16, acc1[r], m1, first, beta, bv, e, i0 + r, roff);
    }
}

/// The 12 × 32 product of one packed A strip and one packed B strip over kc, written to c (rows ldc apart).
AVX512 void azoo_gemm_tile(long kc, const float *ap, const float *bp, float *c, long ldc) {
    kernel(kc, ap, bp, c, ldc, MR, NR, 0, 1, NULL, NULL, NULL, 0, 0);
}

/// The same product added to c.
AVX512 void azoo_gemm_tile_add(long kc, const float *ap, const float *bp, float *c, long ldc) {
    kernel(kc, ap, bp, c, ldc, MR, NR, 0, 0, NULL, NULL, NULL, 0, 0);
}

/// Per-thread B panel, allocated on first use (one per thread that multiplies; never freed).
static _Thread_local float *panel;

static AVX512 void run512(long m, long k, const float *apack, int transb, const float *b, long ldb, long bstride,
                          long ncols, float beta, const float *bias, float *c, long ldc, long cstride, long t0, long t1,
                          long s0, long s1, const azoo_epilogue *epi, long kseg) {
    const long roff = epi && epi->residual ? float_offset(epi->residual, c) : 0;
    if (!panel && !(panel = aligned_alloc(64, sizeof(float) * KC * NC_LARGE))) abort();
    const long NC = m * k <= (1L << 18) ? NC_SMALL : NC_LARGE;
    float tile[MR * NR] __attribute__((aligned(64)));
    const long strips = (m + MR - 1) / MR;
    for (long jc = t0; jc < t1; jc += NC) {
        const long nc = t1 - jc < NC ? t1 - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            const long kc = k - pc < KC ? k - pc : KC;
            const int first = pc == 0;
            const azoo_epilogue *e = pc + kc == k ? epi : NULL;   // on the finished sums only
            if (transb) pack_bt(b, ldb, pc, kc, jc, nc, panel, kseg, bstride);
            else pack_b(b, ldb, bstride, ncols, pc, kc, jc, nc, panel);
            for (long ic = s0; ic < s1; ic += MC / MR) {
                const long iend = ic + MC / MR < s1 ? ic + MC / MR : s1;
                for (long jr = 0; jr < nc; jr += NR) {
                    const long w = nc - jr < NR ? nc - jr : NR;
                    const segments sg = strip_segments(jc + jr, w, ncols);
                    const float *bp = panel + jr * kc;
                    for (long s = ic; s < iend; s++) {
                        const long i0 = s * MR, rows = m - i0 < MR ? m - i0 : MR;
                        const float *ap = apack + pc * strips * MR + s * MR * kc;
                        const float *bs = bias ? bias + i0 : NULL;
                        if (sg.count == 1) {
                            kernel(kc, ap, bp, c + sg.img[0] * cstride + i0 * ldc + sg.pos[0], ldc, rows, w, beta, first,
                                   bs, NULL, e, i0, roff);
                            continue;
                        }
                        kernel(kc, ap, bp, NULL, 0, rows, w, 0, 1, NULL, tile, NULL, 0, 0);
                        for (long r = 0; r < rows; r++) {
                            const float bv = first && bs ? bs[r] : 0;
                            for (long i = 0; i < sg.count; i++) {
                                float *d = c + sg.img[i] * cstride + (i0 + r) * ldc + sg.pos[i];
                                for (long o = 0; o < sg.len[i]; o += 16) {
                                    const __mmask16 mk = lanes(sg.len[i] - o);
                                    store_piece(d + o, _mm512_maskz_loadu_ps(mk, tile + r * NR + sg.off[i] + o), mk,
                                                first, beta, bv, e, i0 + r, roff);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
#endif

void azoo_gemm_run(long m, long k, const float *apack, int transB, const float *b, long ldb, long bstride, long ncols,
                   float beta, const float *bias, float *c, long ldc, long cstride, long t0, long t1, long s0, long s1,
                   const azoo_epilogue *epi, long kseg) {
    if (m <= 0 || t1 <= t0 || s1 <= s0) return;
#if CONV_X86
    if (conv_isa() >= 2 && k > 0) {
        run512(m, k, apack, transB, b, ldb, bstride, ncols, beta, bias, c, ldc, cstride, t0, t1, s0, s1, epi, transB ? kseg : 0);
        return;
    }
#endif
    (void)m; (void)k; (void)apack; (void)transB; (void)b; (void)ldb; (void)bstride; (void)ncols; (void)beta; (void)bias; (void)c;
    (void)ldc; (void)cstride; (void)t0; (void)t1; (void)s0; (void)s1; (void)epi; (void)kseg;
    abort();  // callers check azoo_gemm_available()
}
