// Winograd F(2×2, 3×3) convolution for AVX-512 (Lavin and Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2015): each 2×2 output tile takes 16 multiplications per channel pair instead
// of 36. Per (image, group): the zero-padded input planes, then blocks of tile rows: the input
// transform Bᵀ·d·B of 16 tiles at a time (one tile per vector lane, read as even/odd lanes of two
// 32-float windows per row) written straight into the packed 32-tile strips of the GEMM kernel, 16
// products M_ξ = U_ξ·V_ξ (ξ = the 16 transform positions; U = G·g·Gᵀ packed once per call in
// 12-row strips), and the output transform Aᵀ·M·A with the bias, lanes re-interleaved into rows.
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1]
#include "ckernels.h"
#include "winograd_common.h"

long azoo_wino_u_size(long cout, long cin) { return 16 * ((cout + WMR - 1) / WMR * WMR) * cin; }

#if CONV_X86
/// U = G·g·Gᵀ of one input channel's taps g (lanes: 12 output channels) to d, positions xi floats apart.
static inline AVX512 void store_u23(const __m512 g[9], float *d, long xi) {
    const __m512 half = _mm512_set1_ps(0.5f);
    __m512 t[4][3];
    for (int j = 0; j < 3; j++) {
        const __m512 sum = _mm512_add_ps(g[j], g[6 + j]);
        t[0][j] = g[j]; t[3][j] = g[6 + j];
        t[1][j] = _mm512_mul_ps(half, _mm512_add_ps(sum, g[3 + j]));
        t[2][j] = _mm512_mul_ps(half, _mm512_sub_ps(sum, g[3 + j]));
    }
    for (int i = 0; i < 4; i++) {
        const __m512 sum = _mm512_add_ps(t[i][0], t[i][2]);
        _mm512_mask_storeu_ps(d + (i * 4 + 0) * xi, 0x0fff, t[i][0]);
        _mm512_mask_storeu_ps(d + (i * 4 + 1) * xi, 0x0fff, _mm512_mul_ps(half, _mm512_add_ps(sum, t[i][1])));
        _mm512_mask_storeu_ps(d + (i * 4 + 2) * xi, 0x0fff, _mm512_mul_ps(half, _mm512_sub_ps(sum, t[i][1])));
        _mm512_mask_storeu_ps(d + (i * 4 + 3) * xi, 0x0fff, t[i][2]);
    }
}

/// The kernel transform of strips s0..<s1 (pack_kernels in winograd_common.h).
static AVX512 void pack_u512(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0,
                             long s1, long xi, long sbase) {
    pack_kernels(w, cout, cin, ostride, istride, flip, u, s0, s1, xi, sbase, store_u23);
}
#endif

void azoo_wino_pack_u(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0, long s1) {
#if CONV_X86
    if (conv_isa() >= 2) { pack_u512(w, cout, cin, ostride, istride, flip, u, s0, s1, (cout + WMR - 1) / WMR * WMR * cin, 0); return; }
#endif
    const long so = (cout + WMR - 1) / WMR, xi = so * WMR * cin;
    for (long o = s0 * WMR; o < s1 * WMR; o++) {
        for (long c = 0; c < cin; c++) {
            float g[9], t[4][3], r[4][4];
            for (long k = 0; k < 9; k++) g[k] = o < cout ? w[o * ostride + c * istride + (flip ? 8 - k : k)] : 0;
            for (long j = 0; j < 3; j++) {   // G·g (4 × 3)
                t[0][j] = g[j]; t[3][j] = g[6 + j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
            }
            for (long i = 0; i < 4; i++) {   // (G·g)·Gᵀ (4 × 4)
                r[i][0] = t[i][0]; r[i][3] = t[i][2];
                r[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                r[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
            }
            float *d = u + (o / WMR) * WMR * cin + c * WMR + o % WMR;
            for (long x = 0; x < 16; x++) d[x * xi] = r[x / 4][x % 4];
        }
    }
}

/// Padded plane geometry for an h × w input, padding p, output oh × ow: th × tw tiles of 2 × 2.
static wgeo wino_geo(long h, long w, long p) {
    const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
    wgeo g;
    g.th = (oh + 1) / 2; g.tw = (ow + 1) / 2;
    g.hp = 2 * g.th + 2;
    g.wp = (2 * g.tw + 32 + 15) / 16 * 16;   // the 32-float windows of the last 16 tiles stay inside
    g.plane = g.hp * g.wp;
    return g;
}

/// Tile rows per block: about 8192 / (cin + cout) tiles (clamped to 32...256), so that the block's
/// transformed input and products (16·(cin + cout) floats per tile) stay near 512 KB, inside L2.
static long block_rows(long tw, long cin, long cout) {
    long tiles = 8192 / (cin + cout);
    tiles = tiles < 32 ? 32 : tiles > 256 ? 256 : tiles;
    return tw >= tiles ? 1 : tiles / tw;
}

long azoo_wino_plane_size(long h, long w, long p) { return wino_geo(h, w, p).plane; }

/// + 128: the windows of the last tiles of the last row read past the planes (into lanes not kept).
long azoo_wino_pad_size(long cin, long h, long w, long p) { return cin * wino_geo(h, w, p).plane + 128; }

long azoo_wino_work_size(long cin, long cout, long h, long w, long p) {
    const long rows = block_rows(wino_geo(h, w, p).tw, cin, cout), strips = (rows * wino_geo(h, w, p).tw + WNR - 1) / WNR;
    return 16 * strips * WNR * cin + 16 * ((cout + WMR - 1) / WMR * WMR) * strips * WNR;
}

long azoo_wino_block_count(long cin, long cout, long h, long w, long p) {
    const long th = wino_geo(h, w, p).th, rows = block_rows(wino_geo(h, w, p).tw, cin, cout);
    return (th + rows - 1) / rows;
}

void azoo_wino_pad(const float *in, long cin, long h, long w, long p, float *pad) {
    const wgeo g = wino_geo(h, w, p);
    azoo_pad_planes(in, cin, h, w, p, p, g.hp, g.wp, g.plane, pad);
}

int azoo_wino_available(void) {
#if CONV_X86
    return conv_isa() >= 2;
#else
    return 0;
#endif
}

#if CONV_X86
/// Input transform of tile rows ty0..<ty1 of channels c0..<c1 (planes from pad, `g.plane` floats apart,
/// the first being channel c0's): V_ξ[c][t] (ξ·vxi, strips of 32 tiles cin·32 floats apart), tile
/// (ty, tx) at virtual column tbase + ty·tw + tx.
static AVX512 void input23(const float *pad, wgeo g, long cin, long ty0, long ty1, long tbase, long c0, long c1, float *v,
                           long vxi) {
    for (long ty = ty0; ty < ty1; ty++) {
        for (long tx0 = 0; tx0 < g.tw; tx0 += 16) {
            const long n = g.tw - tx0 < 16 ? g.tw - tx0 : 16, t = tbase + ty * g.tw + tx0;
            for (long c = c0; c < c1; c++) {
                __m512 r[4][4];
                input_tiles23(pad + (c - c0) * g.plane + 2 * ty * g.wp + 2 * tx0, g.wp, r);
                float *vb = v + c * WNR;
                for (int x = 0; x < 16; x++) put_lanes(vb + x * vxi, cin * WNR, t, r[x / 4][x % 4], n);
            }
        }
    }
}

/// Output transform Y = Aᵀ·M·A (+ bias, epilogue) of tile rows ty0..<ty1 (tiles at virtual columns tbase +
/// ty·tw + tx, 16 of a row at a time) for output channels o0..<o1: channel o's products in row o − o0 of
/// M_ξ (ξ·mxi, rows ldm apart); out is the image's output (channel o at o·oh·ow).
static AVX512 void output23(const float *m, long ldm, long mxi, wgeo g, long oh, long ow, long ty0, long ty1, long tbase,
                            long o0, long o1, const float *bias, float *out, const azoo_epilogue *epi, long roff) {
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    for (long ty = ty0; ty < ty1; ty++) {
        const long y0 = 2 * ty, two = y0 + 1 < oh;
        for (long tx0 = 0; tx0 < g.tw; tx0 += 16) {
            const long n = g.tw - tx0 < 16 ? g.tw - tx0 : 16, t = tbase + ty * g.tw + tx0;
            const long cols = ow - 2 * tx0 < 2 * n ? ow - 2 * tx0 : 2 * n;
            const __mmask16 ml = wlanes(cols), mh = wlanes(cols - 16), mk = wlanes(n);
            for (long o = o0; o < o1; o++) {
                const float *mb = m + (o - o0) * ldm + t;
                __m512 q[4][4];
                for (int x = 0; x < 16; x++) q[x / 4][x % 4] = _mm512_maskz_loadu_ps(mk, mb + x * mxi);
                __m512 r[2][4];
                for (int j = 0; j < 4; j++) {   // Aᵀ·M
                    r[0][j] = _mm512_add_ps(_mm512_add_ps(q[0][j], q[1][j]), q[2][j]);
                    r[1][j] = _mm512_sub_ps(_mm512_sub_ps(q[1][j], q[2][j]), q[3][j]);
                }
                const __m512 b = _mm512_set1_ps(bias ? bias[o] : 0);
                for (int i = 0; i < 1 + two; i++) {   // (Aᵀ·M)·A
                    const __m512 a = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r[i][0], r[i][1]), r[i][2]), b);
                    const __m512 c = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(r[i][1], r[i][2]), r[i][3]), b);
                    float *dst = out + o * oh * ow + (y0 + i) * ow + 2 * tx0;
                    __m512 v0 = _mm512_permutex2var_ps(a, lo, c), v1 = _mm512_permutex2var_ps(a, hi, c);
                    if (epi) {
                        v0 = epilogue512(v0, epi, o, dst, roff, ml);
                        v1 = epilogue512(v1, epi, o, dst + 16, roff, mh);
                    }
                    _mm512_mask_storeu_ps(dst, ml, v0);
                    _mm512_mask_storeu_ps(dst + 16, mh, v1);
                }
            }
        }
    }
}

const wino_ops azoo_wino23_ops = {16, 2, wino_geo, pack_u512, input23, output23};

static AVX512 void wino512(const float *pad, long cin, long h, long w, long p, const float *u, long cout,
                           const float *bias, float *out, float *work, long b0, long b1, const azoo_epilogue *epi) {
    wino_blocks(&azoo_wino23_ops, block_rows, pad, cin, h, w, p, u, cout, bias, out, work, b0, b1, epi);
}

#endif

void azoo_wino_f23(const float *pad, long cin, long h, long w, long p, const float *u, long cout, const float *bias,
                   float *out, float *work, long b0, long b1, const azoo_epilogue *epi) {
#if CONV_X86
    if (conv_isa() >= 2) { wino512(pad, cin, h, w, p, u, cout, bias, out, work, b0, b1, epi); return; }
#endif
    (void)pad; (void)cin; (void)h; (void)w; (void)p; (void)u; (void)cout; (void)bias; (void)out; (void)work; (void)b0; (void)b1;
    (void)epi;
    abort();  // callers check azoo_wino_available()
}

