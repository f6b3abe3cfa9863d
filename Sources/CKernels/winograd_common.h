// Shared by the Winograd kernels (winograd.c: F(2×2, 3×3), winograd43.c: F(4×4, 3×3)): the GEMM's
// strip geometry, lane masks, strip-packed stores and the gather of 12 output channels' 3×3 taps.
#ifndef ATTNZOO_WINOGRAD_COMMON_H
#define ATTNZOO_WINOGRAD_COMMON_H
#include "conv_vec.h"

#define WMR 12
#define WNR 32

/// Padded plane geometry of one map: th × tw output tiles, hp × wp padded plane of `plane` floats.
typedef struct { long th, tw, hp, wp, plane; } wgeo;

#if CONV_X86
/// One transform's pieces for the batched driver (winograd_batched.c): positions per tile, output
/// tile side, the padded geometry, the kernel transform (strips s0..<s1 to u + (s − sbase)·12·cin,
/// positions xi apart), the input transform (tile rows ty0..<ty1 of channels c0..<c1 to virtual columns
/// from tbase) and the output transform (channels o0..<o1 from rows o − o0 of M).
typedef struct {
    long positions, tile;
    wgeo (*geo)(long h, long w, long p);
    void (*pack)(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0, long s1, long xi,
                 long sbase);
    void (*input)(const float *pad, wgeo g, long cin, long ty0, long ty1, long tbase, long c0, long c1, float *v, long vxi);
    void (*output)(const float *m, long ldm, long mxi, wgeo g, long oh, long ow, long ty0, long ty1, long tbase, long o0, long o1,
                   const float *bias, float *out, const azoo_epilogue *epi, long roff);
} wino_ops;
extern const wino_ops azoo_wino23_ops, azoo_wino43_ops;

void azoo_gemm_tile(long kc, const float *ap, const float *bp, float *c, long ldc);

static inline AVX512 __mmask16 wlanes(long n) { return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1); }

/// n lanes of x to virtual column t of a strip-packed row set: strips of WNR lanes, `sstride` apart.
static inline AVX512 void put_lanes(float *base, long sstride, long t, __m512 x, long n) {
    const long s = t / WNR, l = t % WNR, first = WNR - l < n ? WNR - l : n;
    _mm512_mask_storeu_ps(base + s * sstride + l, wlanes(first), x);
    if (first < n) {
        // The rest goes to the start of the next strip: lanes first..<n shifted down.
        const __m512i idx = _mm512_add_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32((int)first));
        _mm512_mask_storeu_ps(base + (s + 1) * sstride, wlanes(n - first), _mm512_permutexvar_ps(idx, x));
    }
}

/// The 9 taps (reversed when flip) of input channel c of output channels 12s…12s+11 (fewer at the end of
/// cout, zero lanes), one vector per tap: element (o, c, tap) is w[o·ostride + c·istride + tap].
static inline AVX512 void gather_taps(const float *w, long cout, long ostride, long istride, int flip, long s, long c,
                                      __m512 g[9]) {
    const __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(0, 0, 0, 0, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32((int)ostride));
    const long left = cout - s * WMR;
    const __mmask16 m = (__mmask16)(left >= WMR ? 0x0fff : (1u << left) - 1);
    const float *base = w + s * WMR * ostride + c * istride;
    for (int k = 0; k < 9; k++) g[k] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, base + (flip ? 8 - k : k), 4);
}

/// F(2×2, 3×3)'s input transform Bᵀ·d·B of 16 tiles, one per lane: tile l's 4 × 4 window starts at
/// src + 2l (rows wp apart); r[i][j] = element (i, j) of the 16 transformed tiles.
static inline AVX512 void input_tiles23(const float *src, long wp, __m512 r[4][4]) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 d[4][4];
    for (int i = 0; i < 4; i++) {
        const float *row = src + i * wp;
        const __m512 a0 = _mm512_loadu_ps(row), a1 = _mm512_loadu_ps(row + 16);
        const __m512 b0 = _mm512_loadu_ps(row + 2), b1 = _mm512_loadu_ps(row + 18);
        d[i][0] = _mm512_permutex2var_ps(a0, even, a1);
        d[i][1] = _mm512_permutex2var_ps(a0, odd, a1);
        d[i][2] = _mm512_permutex2var_ps(b0, even, b1);
        d[i][3] = _mm512_permutex2var_ps(b0, odd, b1);
    }
    __m512 e[4][4];
    for (int j = 0; j < 4; j++) {   // Bᵀ·d
        e[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
        e[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
        e[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
        e[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
    }
    for (int i = 0; i < 4; i++) {   // (Bᵀ·d)·B
        r[i][0] = _mm512_sub_ps(e[i][0], e[i][2]); r[i][1] = _mm512_add_ps(e[i][1], e[i][2]);
        r[i][2] = _mm512_sub_ps(e[i][2], e[i][1]); r[i][3] = _mm512_sub_ps(e[i][1], e[i][3]);
    }
}

/// Without gathers, for weights laid out (cout, cin, 3, 3): the 9 taps of input channels c0…c0+15 (fewer
/// at the end of cin) of output channels 12s…12s+11 (zero lanes past cout), one vector per (channel, tap)
/// at T[(c − c0)·9 + tap]: each output channel's 144 contiguous floats loaded, then 16 × 16 transposes.
static inline AVX512 void load_taps16(const float *w, long cout, long cin, long s, long c0, __m512 T[144]) {
    const long nf = (cin - c0 < 16 ? cin - c0 : 16) * 9;
    for (int j = 0; j < 9; j++) {
        __m512 r[16];
        const __mmask16 m = wlanes(nf - 16 * j);
        for (int o = 0; o < 16; o++) {
            const long oo = s * WMR + o;
            r[o] = o < WMR && oo < cout ? _mm512_maskz_loadu_ps(m, w + (oo * cin + c0) * 9 + 16 * j) : _mm512_setzero_ps();
        }
        transpose16(r);
        for (int l = 0; l < 16; l++) T[16 * j + l] = r[l];
    }
}

/// Without gathers, for the input gradient's kernels (flipped, transposed: element (o, c, tap) at
/// w[c·istride + o·9 + 8 − tap], the 12 output channels' 108 floats contiguous): the 9 taps of input
/// channel c of output channels 12s…12s+11 (zero lanes past cout), one vector per tap: each output
/// channel's 9 taps loaded as a row, then one 16 × 16 transpose.
static inline AVX512 void load_taps_flipped(const float *w, long cout, long istride, long s, long c, __m512 g[9]) {
    __m512 r[16];
    const float *base = w + c * istride + s * WMR * 9;
    for (int o = 0; o < 16; o++)
        r[o] = o < WMR && s * WMR + o < cout ? _mm512_maskz_loadu_ps(0x01ff, base + o * 9) : _mm512_setzero_ps();
    transpose16(r);
    for (int k = 0; k < 9; k++) g[k] = r[8 - k];
}

/// The products M_ξ = U_ξ·V_ξ of every transform position ξ on the GEMM's register tile: `nq` 12-row
/// strips of U (positions uxi apart) against `nstrips` 32-column strips of V (vxi apart, cin deep),
/// into M (rows ldm apart, positions mxi apart). Shared by the per-image and the batched drivers.
static inline __attribute__((always_inline)) void wino_products(long positions, long cin, const float *u, long uxi, long nq,
                                                               const float *v, long vxi, long nstrips, float *m, long mxi,
                                                               long ldm) {
    for (long x = 0; x < positions; x++) {
        for (long s = 0; s < nstrips; s++) {
            const float *bp = v + x * vxi + s * cin * WNR;
            for (long q = 0; q < nq; q++)
                azoo_gemm_tile(cin, u + x * uxi + q * WMR * cin, bp, m + x * mxi + q * WMR * ldm + s * WNR, ldm);
        }
    }
}

/// The per-image driver shared by F(2×2, 3×3) and F(4×4, 3×3) (its pieces from `o`, plus the transform's
/// tile rows per block): for blocks b0..<b1 of tile rows of one (image, group)'s padded planes, the
/// input transform into V, the products M_ξ = U_ξ·V_ξ (U packed for all cout) and the output transform
/// (+ bias, epilogue) into out. Always inlined, into each transform's own driver.
static inline __attribute__((always_inline)) AVX512 void wino_blocks(
    const wino_ops *o, long (*block_rows)(long tw, long cin, long cout), const float *pad, long cin, long h, long w, long p,
    const float *u, long cout, const float *bias, float *out, float *work, long b0, long b1, const azoo_epilogue *epi) {
    const long roff = epi && epi->residual ? float_offset(epi->residual, out) : 0;
    const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
    const wgeo g = o->geo(h, w, p);
    const long rows = block_rows(g.tw, cin, cout), strips = (rows * g.tw + WNR - 1) / WNR, ldm = strips * WNR;
    const long so = (cout + WMR - 1) / WMR, uxi = so * WMR * cin;
    float *v = work, *m = v + o->positions * strips * WNR * cin;
    const long vxi = strips * WNR * cin, mxi = so * WMR * ldm;
    for (long ty0 = b0 * rows; ty0 < g.th && ty0 < b1 * rows; ty0 += rows) {
        const long nrows = g.th - ty0 < rows ? g.th - ty0 : rows, tiles = nrows * g.tw;
        const long nstrips = (tiles + WNR - 1) / WNR;
        o->input(pad, g, cin, ty0, ty0 + nrows, -ty0 * g.tw, 0, cin, v, vxi);
        // M_ξ (cout × tiles, rows ldm apart) = U_ξ · V_ξ.
        wino_products(o->positions, cin, u, uxi, so, v, vxi, nstrips, m, mxi, ldm);
        o->output(m, ldm, mxi, g, oh, ow, ty0, ty0 + nrows, -ty0 * g.tw, 0, cout, bias, out, epi, roff);
    }
}

/// The kernel transform's loop, shared by F(2×2, 3×3) and F(4×4, 3×3): for the 12-output strips s0..<s1
/// (to u + (s − sbase)·12·cin), each input channel's taps (lanes: 12 output channels) go through `store`
/// (U = G·g·Gᵀ, positions xi floats apart). Forward weights (cout, cin, 3, 3) are read 16 input channels
/// at a time and transposed (load_taps16), the input gradient's flipped, transposed ones one
/// output-channel row each and transposed (load_taps_flipped); other layouts one gather per tap.
/// Always inlined, so that each transform's `store` is inlined into its own copy.
static inline __attribute__((always_inline)) AVX512 void pack_kernels(
    const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0, long s1, long xi, long sbase,
    void (*store)(const __m512 g[9], float *d, long xi)) {
    const int plain = !flip && istride == 9 && ostride == 9 * cin, flipped = flip && ostride == 9;
    for (long s = s0; s < s1; s++) {
        float *base = u + (s - sbase) * WMR * cin;
        if (plain) {
            for (long c0 = 0; c0 < cin; c0 += 16) {
                __m512 T[144];
                load_taps16(w, cout, cin, s, c0, T);
                for (long c = c0; c < cin && c < c0 + 16; c++) store(T + (c - c0) * 9, base + c * WMR, xi);
            }
            continue;
        }
        for (long c = 0; c < cin; c++) {
            __m512 g[9];
            if (flipped) load_taps_flipped(w, cout, istride, s, c, g);
            else gather_taps(w, cout, ostride, istride, flip, s, c, g);
            store(g, base + c * WMR, xi);
        }
    }
}
#endif
#endif
