// Weight gradient of the Winograd F(2×2, 3×3) convolution (winograd.c): with V = Bᵀ·d·B the
// transformed input tiles and dM = A·dY·Aᵀ the transformed output-gradient tiles, the gradient of
// U = G·g·Gᵀ is dU_ξ = Σ_tiles dM_ξ · V_ξᵀ (16 products, k = the tiles) and dg = Gᵀ·dU·G. The
// transforms run 16 tiles per vector as in the forward pass, then 16 × 16 transposes put the
// channels in the lanes, so both operands land in the GEMM kernel's packed strips ([tile][12
// output channels] and [tile][32 input channels]) and the products accumulate in registers.
#include "ckernels.h"
#include "winograd_common.h"
/// The batched weight gradient's dU positions lie a cache line more than a matrix apart (see winograd_batched.c).
#define XPAD_WG 16
/// Output strips per block of the batched weight gradient: each V strip is read once per block (2, 4 and
/// 8 ran alike on (8,512,14,14): 32–35 ms forward+backward against 36–41 on im2col).
#define WGB_STRIPS 2

/// dU floats (16 × ⌈cout/12⌉·12 × ⌈cin/32⌉·32) that azoo_wino_wgrad_accumulate adds to.
long azoo_wino_du_size(long cout, long cin) { return 16 * ((cout + WMR - 1) / WMR * WMR) * ((cin + WNR - 1) / WNR * WNR); }

typedef struct { long th, tw, hp, wp, plane, rows; } wg_geo;

static wg_geo wgrad_geo(long h, long w, long p, long cin, long cout) {
    const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
    wg_geo g;
    g.th = (oh + 1) / 2; g.tw = (ow + 1) / 2;
    g.hp = 2 * g.th + 2;
    g.wp = (2 * g.tw + 32 + 15) / 16 * 16;
    g.plane = g.hp * g.wp;
    long tiles = 8192 / (cin + cout);
    tiles = tiles < 32 ? 32 : tiles > 256 ? 256 : tiles;
    g.rows = g.tw >= tiles ? 1 : tiles / g.tw;
    return g;
}

long azoo_wino_wgrad_scratch_size(long cin, long cout, long h, long w, long p) {
    const wg_geo g = wgrad_geo(h, w, p, cin, cout);
    const long tiles = g.rows * g.tw;
    return cin * g.plane + 16 * ((cin + WNR - 1) / WNR * WNR) * tiles + 16 * ((cout + WMR - 1) / WMR * WMR) * tiles
         + 16 * 16 * 16 + 64;
}

#if CONV_X86
void azoo_gemm_tile_add(long kc, const float *ap, const float *bp, float *c, long ldc);

static inline AVX512 __mmask16 wl(long n) { return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1); }

/// Transposes tmp (16 rows of 16 lanes: rows = channels, lanes = tiles) and stores the first n rows of
/// the result (tiles) as `width` floats each at dst + tile·stride.
static inline AVX512 void put_transposed(const float *tmp, long n, float *dst, long stride, long width) {
    __m512 r[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(tmp + i * 16);
    transpose16(r);
    for (long t = 0; t < n; t++) _mm512_mask_storeu_ps(dst + t * stride, wl(width), r[t]);
}

/// The transforms of tile rows ty0..<ty0 + nrows of one image (padded planes `pad`, output gradient gy):
/// V = Bᵀ·d·B into vt [ξ][32-channel strip][tile][32] and dM = A·dY·Aᵀ into gt [ξ][12-channel strip][tile][12],
/// tile (ty, tx) at index tbase + ty·tw + tx of strips `ld` tiles long, positions vxi / gxi floats apart
/// (zeros past cin, cout and the map).
static AVX512 void transform_tiles(const float *pad, wg_geo g, long cin, const float *gy, long cout, long oh, long ow, long ty0,
                                   long nrows, long tbase, long ld, float *vt, long vxi, float *gt, long gxi, float *tmp) {
    const long cinp = (cin + WNR - 1) / WNR * WNR, coutp = (cout + WMR - 1) / WMR * WMR;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (long ty = ty0; ty < ty0 + nrows; ty++) {
        for (long tx0 = 0; tx0 < g.tw; tx0 += 16) {
            const long n = g.tw - tx0 < 16 ? g.tw - tx0 : 16, t = tbase + ty * g.tw + tx0;
            // Input transform, 16 channels at a time (zeros past cin).
            for (long c0 = 0; c0 < cinp; c0 += 16) {
                for (long cc = 0; cc < 16; cc++) {
                    __m512 r[4][4];
                    if (c0 + cc < cin) {
                        input_tiles23(pad + (c0 + cc) * g.plane + 2 * ty * g.wp + 2 * tx0, g.wp, r);
                    } else {
                        for (int x = 0; x < 16; x++) r[x / 4][x % 4] = _mm512_setzero_ps();
                    }
                    for (int x = 0; x < 16; x++) _mm512_storeu_ps(tmp + (x * 16 + cc) * 16, r[x / 4][x % 4]);
                }
                for (int x = 0; x < 16; x++)
                    put_transposed(tmp + x * 256, n, vt + x * vxi + (c0 / WNR) * ld * WNR + t * WNR + c0 % WNR, WNR, 16);
            }
            // Output-gradient transform, 12 channels at a time (zeros past cout, past the map's edge).
            const long y0 = 2 * ty, two = y0 + 1 < oh, cols = ow - 2 * tx0 < 2 * n ? ow - 2 * tx0 : 2 * n;
            for (long o0 = 0; o0 < coutp; o0 += WMR) {
                for (long oo = 0; oo < 16; oo++) {
                    __m512 r[4][4];
                    if (oo < WMR && o0 + oo < cout) {
                        const float *src = gy + (o0 + oo) * oh * ow + y0 * ow + 2 * tx0;
                        const __m512 p0 = _mm512_maskz_loadu_ps(wl(cols), src);
                        const __m512 p1 = _mm512_maskz_loadu_ps(wl(cols - 16), src + 16);
                        const __m512 q0 = two ? _mm512_maskz_loadu_ps(wl(cols), src + ow) : _mm512_setzero_ps();
                        const __m512 q1 = two ? _mm512_maskz_loadu_ps(wl(cols - 16), src + ow + 16) : _mm512_setzero_ps();
                        const __m512 ya[2] = {_mm512_permutex2var_ps(p0, even, p1), _mm512_permutex2var_ps(q0, even, q1)};
                        const __m512 yb[2] = {_mm512_permutex2var_ps(p0, odd, p1), _mm512_permutex2var_ps(q0, odd, q1)};
                        // A·dY: rows dY0, dY0 + dY1, dY0 − dY1, −dY1 (each a pair a, b).
                        const __m512 ra[4] = {ya[0], _mm512_add_ps(ya[0], ya[1]), _mm512_sub_ps(ya[0], ya[1]),
                                              _mm512_sub_ps(_mm512_setzero_ps(), ya[1])};
                        const __m512 rb[4] = {yb[0], _mm512_add_ps(yb[0], yb[1]), _mm512_sub_ps(yb[0], yb[1]),
                                              _mm512_sub_ps(_mm512_setzero_ps(), yb[1])};
                        for (int i = 0; i < 4; i++) {   // ·Aᵀ: a, a + b, a − b, −b
                            r[i][0] = ra[i]; r[i][1] = _mm512_add_ps(ra[i], rb[i]);
                            r[i][2] = _mm512_sub_ps(ra[i], rb[i]); r[i][3] = _mm512_sub_ps(_mm512_setzero_ps(), rb[i]);
                        }
                    } else {
                        for (int x = 0; x < 16; x++) r[x / 4][x % 4] = _mm512_setzero_ps();
                    }
                    for (int x = 0; x < 16; x++) _mm512_storeu_ps(tmp + (x * 16 + oo) * 16, r[x / 4][x % 4]);
                }
                for (int x = 0; x < 16; x++)
                    put_transposed(tmp + x * 256, n, gt + x * gxi + (o0 / WMR) * ld * WMR + t * WMR, WMR, WMR);
            }
        }
    }
}

static AVX512 void wgrad512(const float *in, long cin, long h, long w, long p, const float *gy, long cout, float *du,
                            float *scratch) {
    const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
    const wg_geo g = wgrad_geo(h, w, p, cin, cout);
    const long cinp = (cin + WNR - 1) / WNR * WNR, coutp = (cout + WMR - 1) / WMR * WMR;
    const long maxt = g.rows * g.tw;
    float *pad = scratch, *vt = pad + cin * g.plane, *gt = vt + 16 * cinp * maxt, *tmp = gt + 16 * coutp * maxt;
    azoo_pad_planes(in, cin, h, w, p, p, g.hp, g.wp, g.plane, pad);
    const long duxi = coutp * cinp;
    for (long ty0 = 0; ty0 < g.th; ty0 += g.rows) {
        const long nrows = g.th - ty0 < g.rows ? g.th - ty0 : g.rows, tiles = nrows * g.tw;
        // vt: [ξ][32-channel strip][tile][32];  gt: [ξ][12-channel strip][tile][12].
        const long vxi = cinp * tiles, gxi = coutp * tiles;
        transform_tiles(pad, g, cin, gy, cout, oh, ow, ty0, nrows, -ty0 * g.tw, tiles, vt, vxi, gt, gxi, tmp);
        // dU_ξ (coutp × cinp) += dM_ξ · V_ξᵀ over this block's tiles.
        for (long x = 0; x < 16; x++)
            for (long cs = 0; cs < cinp / WNR; cs++)
                for (long os = 0; os < coutp / WMR; os++)
                    azoo_gemm_tile_add(tiles, gt + x * gxi + os * tiles * WMR, vt + x * vxi + cs * tiles * WNR,
                                       du + x * duxi + os * WMR * cinp + cs * WNR, cinp);
    }
}
#endif

void azoo_wino_wgrad_accumulate(const float *in, long cin, long h, long w, long p, const float *gy, long cout, float *du,
                                float *scratch) {
#if CONV_X86
    if (conv_isa() >= 2) { wgrad512(in, cin, h, w, p, gy, cout, du, scratch); return; }
#endif
    (void)in; (void)cin; (void)h; (void)w; (void)p; (void)gy; (void)cout; (void)du; (void)scratch;
    abort();  // callers check azoo_wino_available()
}

/// dW = Gᵀ·dU·G for output channels o0..<o1, their dU in rows o − o0 of `du` (positions duxi apart, rows
/// ldu apart).
static void finish_rows(const float *du, long duxi, long ldu, long o0, long o1, long cin, float *dw, long ostride,
                        long istride) {
    for (long o = o0; o < o1; o++) {
        for (long c = 0; c < cin; c++) {
            float u[4][4], t[3][4];
            for (int x = 0; x < 16; x++) u[x / 4][x % 4] = du[x * duxi + (o - o0) * ldu + c];
            for (int j = 0; j < 4; j++) {   // Gᵀ·dU (3 × 4)
                t[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
                t[1][j] = 0.5f * (u[1][j] - u[2][j]);
                t[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
            }
            float *d = dw + o * ostride + c * istride;
            for (int i = 0; i < 3; i++) {   // (Gᵀ·dU)·G (3 × 3)
                d[i * 3 + 0] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
                d[i * 3 + 1] = 0.5f * (t[i][1] - t[i][2]);
                d[i * 3 + 2] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
            }
        }
    }
}

void azoo_wino_wgrad_finish(float *du, long parts, long partStride, long cout, long cin, float *dw, long ostride, long istride,
                            long o0, long o1) {
    const long cinp = (cin + WNR - 1) / WNR * WNR, coutp = (cout + WMR - 1) / WMR * WMR, n = (o1 - o0) * cinp;
    for (long part = 1; part < parts; part++)
        for (long x = 0; x < 16; x++) {
            float *d = du + x * coutp * cinp + o0 * cinp;
            const float *s = d + part * partStride;
            for (long i = 0; i < n; i++) d[i] += s[i];
        }
    finish_rows(du + o0 * cinp, coutp * cinp, cinp, o0, o1, cin, dw, ostride, istride);
}

/// Tiles per image of the batched weight gradient.
static long tiles_per_image(long h, long w, long p) {
    const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
    return (oh + 1) / 2 * ((ow + 1) / 2);
}

long azoo_wino_wgradb_vt_size(long cin, long nimg, long h, long w, long p) {
    return 16 * ((cin + WNR - 1) / WNR * WNR * nimg * tiles_per_image(h, w, p) + XPAD_WG);
}

long azoo_wino_wgradb_gt_size(long cout, long nimg, long h, long w, long p) {
    return 16 * ((cout + WMR - 1) / WMR * WMR * nimg * tiles_per_image(h, w, p) + XPAD_WG);
}

long azoo_wino_wgradb_scratch_size(long cin, long h, long w, long p) {
    const wg_geo g = wgrad_geo(h, w, p, cin, 0);
    return cin * g.plane + 16 * 16 * 16 + 64;
}

long azoo_wino_wgradb_du_size(long cin) { return 16 * (WGB_STRIPS * WMR * ((cin + WNR - 1) / WNR * WNR) + XPAD_WG); }

void azoo_wino_wgradb_transform(const float *in, long cin, long h, long w, long p, const float *gy, long cout, long img,
                                long nimg, float *vt, float *gt, float *scratch) {
#if CONV_X86
    if (conv_isa() >= 2) {
        const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
        const wg_geo g = wgrad_geo(h, w, p, cin, cout);
        float *pad = scratch, *tmp = pad + cin * g.plane;
        azoo_pad_planes(in, cin, h, w, p, p, g.hp, g.wp, g.plane, pad);
        const long per = g.th * g.tw, ld = nimg * per;
        const long vxi = (cin + WNR - 1) / WNR * WNR * ld + XPAD_WG, gxi = (cout + WMR - 1) / WMR * WMR * ld + XPAD_WG;
        transform_tiles(pad, g, cin, gy, cout, oh, ow, 0, g.th, img * per, ld, vt, vxi, gt, gxi, tmp);
        return;
    }
#endif
    (void)in; (void)cin; (void)h; (void)w; (void)p; (void)gy; (void)cout; (void)img; (void)nimg; (void)vt; (void)gt; (void)scratch;
    abort();  // callers check azoo_wino_available()
}

void azoo_wino_wgradb_block(const float *vt, const float *gt, long cin, long cout, long ntiles, long os0, long os1, float *du,
                            float *dw, long ostride, long istride) {
#if CONV_X86
    if (conv_isa() >= 2) {
        const long cinp = (cin + WNR - 1) / WNR * WNR, coutp = (cout + WMR - 1) / WMR * WMR;
        const long vxi = cinp * ntiles + XPAD_WG, gxi = coutp * ntiles + XPAD_WG, duxi = WGB_STRIPS * WMR * cinp + XPAD_WG;
        for (long sb = os0; sb < os1; sb += WGB_STRIPS) {
            const long se = sb + WGB_STRIPS < os1 ? sb + WGB_STRIPS : os1;
            // dU_ξ (rows of strips sb..<se × cinp) = dM_ξ · V_ξᵀ over all tiles; each V strip read once per block.
            for (long x = 0; x < 16; x++)
                for (long cs = 0; cs < cinp / WNR; cs++)
                    for (long os = sb; os < se; os++)
                        azoo_gemm_tile(ntiles, gt + x * gxi + os * ntiles * WMR, vt + x * vxi + cs * ntiles * WNR,
                                       du + x * duxi + (os - sb) * WMR * cinp + cs * WNR, cinp);
            finish_rows(du, duxi, cinp, sb * WMR, se * WMR < cout ? se * WMR : cout, cin, dw, ostride, istride);
        }
        return;
    }
#endif
    (void)vt; (void)gt; (void)cin; (void)cout; (void)ntiles; (void)os0; (void)os1; (void)du; (void)dw; (void)ostride; (void)istride;
    abort();  // callers check azoo_wino_available()
}
