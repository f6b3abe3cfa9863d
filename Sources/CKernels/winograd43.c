// Winograd F(4×4, 3×3) convolution for AVX-512 (Lavin and Gray, 2015): each 4×4 output tile takes 36
// multiplications per channel pair instead of 144 (F(2×2, 3×3) in winograd.c takes 16 per 2×2 tile:
// 2.25 per output against 4). Same plan as winograd.c: per (image, group) the zero-padded input planes,
// then blocks of tile rows: the input transform Bᵀ·d·B of 16 tiles at a time (one tile per vector lane,
// the stride-4 lanes picked out of 64-float windows) written into the GEMM kernel's 32-tile strips, 36
// products M_ξ = U_ξ·V_ξ (U = G·g·Gᵀ packed once per call in 12-row strips), and the output
// transform Aᵀ·M·A with the bias, lanes re-interleaved into rows. Points 0, ±1, ±2, ∞:
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
#include "ckernels.h"
#include "winograd_common.h"

#define XI 36

long azoo_wino43_u_size(long cout, long cin) { return XI * ((cout + WMR - 1) / WMR * WMR) * cin; }

/// Padded plane geometry for an h × w input, padding p, output oh × ow: th × tw tiles of 4 × 4.
static wgeo geo43(long h, long w, long p) {
    const long oh = h + 2 * p - 2, ow = w + 2 * p - 2;
    wgeo g;
    g.th = (oh + 3) / 4; g.tw = (ow + 3) / 4;
    g.hp = 4 * g.th + 2;
    g.wp = (4 * g.tw + 2 + 15) / 16 * 16;
    g.plane = g.hp * g.wp;
    return g;
}

/// Tiles per block: the block's transformed input and products (36·(cin + cout) floats per tile)
/// near AZOO_WINO43_BLOCK_KB (default 1024 KB), clamped to 32...512 tiles; as tile rows.
static long block_rows43(long tw, long cin, long cout) {
    static long kb = -1;
    if (kb < 0) { const char *e = getenv("AZOO_WINO43_BLOCK_KB"); kb = e ? atol(e) : 1024; if (kb <= 0) kb = 1024; }
    long tiles = kb * 256 / (XI * (cin + cout));
    tiles = tiles < 32 ? 32 : tiles > 512 ? 512 : tiles;
    return tw >= tiles ? 1 : tiles / tw;
}

long azoo_wino43_plane_size(long h, long w, long p) { return geo43(h, w, p).plane; }

/// + 128: the windows of the last tiles of the last row read past the planes (into lanes not kept).
long azoo_wino43_pad_size(long cin, long h, long w, long p) { return cin * geo43(h, w, p).plane + 128; }

long azoo_wino43_work_size(long cin, long cout, long h, long w, long p) {
    const long rows = block_rows43(geo43(h, w, p).tw, cin, cout), strips = (rows * geo43(h, w, p).tw + WNR - 1) / WNR;
    return XI * strips * WNR * cin + XI * ((cout + WMR - 1) / WMR * WMR) * strips * WNR;
}

long azoo_wino43_block_count(long cin, long cout, long h, long w, long p) {
    const long th = geo43(h, w, p).th, rows = block_rows43(geo43(h, w, p).tw, cin, cout);
    return (th + rows - 1) / rows;
}

void azoo_wino43_pad(const float *in, long cin, long h, long w, long p, float *pad) {
    const wgeo g = geo43(h, w, p);
    azoo_pad_planes(in, cin, h, w, p, p, g.hp, g.wp, g.plane, pad);
}

#if CONV_X86
/// U = G·g·Gᵀ of one input channel's taps g (lanes: 12 output channels) to d, positions xi floats apart.
static inline AVX512 void store_u43(const __m512 g[9], float *d, long xi) {
    const __m512 q = _mm512_set1_ps(0.25f), s6 = _mm512_set1_ps(-1.0f / 6), s24 = _mm512_set1_ps(1.0f / 24),
                 s12 = _mm512_set1_ps(1.0f / 12), p6 = _mm512_set1_ps(1.0f / 6);
    // G·g: 6 × 3, row by row of G (columns j of g).
    __m512 t[6][3];
    for (int j = 0; j < 3; j++) {
        const __m512 g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
        const __m512 sum = _mm512_add_ps(g0, g2), e = _mm512_fmadd_ps(s24, g0, _mm512_mul_ps(p6, g2));
        t[0][j] = _mm512_mul_ps(q, g0);
        t[1][j] = _mm512_mul_ps(s6, _mm512_add_ps(sum, g1));
        t[2][j] = _mm512_mul_ps(s6, _mm512_sub_ps(sum, g1));
        t[3][j] = _mm512_fmadd_ps(s12, g1, e);
        t[4][j] = _mm512_fnmadd_ps(s12, g1, e);
        t[5][j] = g2;
    }
    for (int i = 0; i < 6; i++) {   // (G·g)·Gᵀ: row i of the 6 × 6
        const __m512 g0 = t[i][0], g1 = t[i][1], g2 = t[i][2];
        const __m512 sum = _mm512_add_ps(g0, g2), e = _mm512_fmadd_ps(s24, g0, _mm512_mul_ps(p6, g2));
        _mm512_mask_storeu_ps(d + (i * 6 + 0) * xi, 0x0fff, _mm512_mul_ps(q, g0));
        _mm512_mask_storeu_ps(d + (i * 6 + 1) * xi, 0x0fff, _mm512_mul_ps(s6, _mm512_add_ps(sum, g1)));
        _mm512_mask_storeu_ps(d + (i * 6 + 2) * xi, 0x0fff, _mm512_mul_ps(s6, _mm512_sub_ps(sum, g1)));
        _mm512_mask_storeu_ps(d + (i * 6 + 3) * xi, 0x0fff, _mm512_fmadd_ps(s12, g1, e));
        _mm512_mask_storeu_ps(d + (i * 6 + 4) * xi, 0x0fff, _mm512_fnmadd_ps(s12, g1, e));
        _mm512_mask_storeu_ps(d + (i * 6 + 5) * xi, 0x0fff, g2);
    }
}

/// The kernel transform of strips s0..<s1 (pack_kernels in winograd_common.h).
static AVX512 void pack_u43(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0,
                            long s1, long xi, long sbase) {
    pack_kernels(w, cout, cin, ostride, istride, flip, u, s0, s1, xi, sbase, store_u43);
}

/// Bᵀ·d for one column of 6 (in place into t[0..5]).
static inline AVX512 void bt6(const __m512 d[6], __m512 t[6]) {
    const __m512 four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    const __m512 s34 = _mm512_add_ps(d[3], d[4]), s12 = _mm512_add_ps(d[1], d[2]);
    const __m512 d43 = _mm512_sub_ps(d[4], d[3]), d12 = _mm512_sub_ps(d[1], d[2]);
    const __m512 d42 = _mm512_sub_ps(d[4], d[2]), d31 = _mm512_sub_ps(d[3], d[1]);
    t[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));
    t[1] = _mm512_fnmadd_ps(four, s12, s34);
    t[2] = _mm512_fmadd_ps(four, d12, d43);
    t[3] = _mm512_fmadd_ps(two, d31, d42);
    t[4] = _mm512_fnmadd_ps(two, d31, d42);
    t[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));
}

/// Aᵀ·m for one column of 6 → 4.
static inline AVX512 void at6(const __m512 m[6], __m512 y[4]) {
    const __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    const __m512 c = _mm512_add_ps(m[3], m[4]), d = _mm512_sub_ps(m[3], m[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), c);
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), d, b);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), c, a);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), d, b), m[5]);
}

/// Input transform of tile rows ty0..<ty1 of channels c0..<c1 (planes from pad, `plane` floats apart, the
/// first being channel c0's): V_ξ[c][t] (ξ·vxi, strips of 32 tiles cin·32 floats apart), tile (ty, tx) at
/// virtual column tbase + ty·tw + tx.
static AVX512 void input43(const float *pad, wgeo g, long cin, long ty0, long ty1, long tbase, long c0, long c1, float *v,
                           long vxi) {
    // Lane l of column j (0…3) of 16 tiles: element 4l + j of a 64-float window, from two 32-float halves.
    __m512i pick[4];
    for (int j = 0; j < 4; j++)
        pick[j] = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 28 + j, 24 + j, 20 + j, 16 + j, 12 + j, 8 + j, 4 + j, j);
    for (long ty = ty0; ty < ty1; ty++) {
        for (long tx0 = 0; tx0 < g.tw; tx0 += 16) {
            const long n = g.tw - tx0 < 16 ? g.tw - tx0 : 16, t = tbase + ty * g.tw + tx0;
            for (long c = c0; c < c1; c++) {
                const float *src = pad + (c - c0) * g.plane + 4 * ty * g.wp + 4 * tx0;
                __m512 e[6][6];   // Bᵀ·d, column by column: e[j] = column j (6 rows)
                __m512 d[6][6];   // d[i][j]: row i, column j
                for (int i = 0; i < 6; i++) {
                    const float *row = src + i * g.wp;
                    const __m512 a0 = _mm512_loadu_ps(row), a1 = _mm512_loadu_ps(row + 16);
                    const __m512 a2 = _mm512_loadu_ps(row + 32), a3 = _mm512_loadu_ps(row + 48);
                    for (int j = 0; j < 4; j++)
                        d[i][j] = _mm512_shuffle_f32x4(_mm512_permutex2var_ps(a0, pick[j], a1),
                                                       _mm512_permutex2var_ps(a2, pick[j], a3), 0x44);
                    // Columns 4 and 5 are columns 0 and 1 of the next tile (the 16th: row[64], row[65]).
                    d[i][4] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(row[64])),
                                                                      _mm512_castps_si512(d[i][0]), 1));
                    d[i][5] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(row[65])),
                                                                      _mm512_castps_si512(d[i][1]), 1));
                }
                for (int j = 0; j < 6; j++) {
                    const __m512 col[6] = {d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]};
                    bt6(col, e[j]);
                }
                float *vb = v + c * WNR;
                for (int i = 0; i < 6; i++) {   // row i of (Bᵀ·d)·B
                    const __m512 rowv[6] = {e[0][i], e[1][i], e[2][i], e[3][i], e[4][i], e[5][i]};
                    __m512 r[6];
                    bt6(rowv, r);
                    for (int j = 0; j < 6; j++) put_lanes(vb + (i * 6 + j) * vxi, cin * WNR, t, r[j], n);
                }
            }
        }
    }
}

/// Output transform Y = Aᵀ·M·A (+ bias, epilogue) of tile rows ty0..<ty1 (tiles at virtual columns tbase +
/// ty·tw + tx, 16 of a row at a time) for output channels o0..<o1: channel o's products in row o − o0 of
/// M_ξ (ξ·mxi, rows ldm apart); out is the image's output (channel o at o·oh·ow).
static AVX512 void output43(const float *m, long ldm, long mxi, wgeo g, long oh, long ow, long ty0, long ty1, long tbase,
                            long o0, long o1, const float *bias, float *out, const azoo_epilogue *epi, long roff) {
    const __m512i pair_lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i pair_hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const __m512i quad0 = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), quad1 = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    for (long ty = ty0; ty < ty1; ty++) {
        const long y0 = 4 * ty, nr = oh - y0 < 4 ? oh - y0 : 4;
        for (long tx0 = 0; tx0 < g.tw; tx0 += 16) {
            const long n = g.tw - tx0 < 16 ? g.tw - tx0 : 16, t = tbase + ty * g.tw + tx0;
            const long cols = ow - 4 * tx0 < 4 * n ? ow - 4 * tx0 : 4 * n;
            const __mmask16 mk = wlanes(n);
            for (long o = o0; o < o1; o++) {
                const float *mb = m + (o - o0) * ldm + t;
                __m512 a[4][6];   // Aᵀ·M: a[i][j]
                for (int j = 0; j < 6; j++) {
                    __m512 col[6], y[4];
                    for (int i = 0; i < 6; i++) col[i] = _mm512_maskz_loadu_ps(mk, mb + (i * 6 + j) * mxi);
                    at6(col, y);
                    for (int i = 0; i < 4; i++) a[i][j] = y[i];
                }
                const __m512 b = _mm512_set1_ps(bias ? bias[o] : 0);
                for (int i = 0; i < nr; i++) {   // (Aᵀ·M)·A, row i: 4 columns of 16 tiles
                    __m512 y[4];
                    at6(a[i], y);
                    for (int j = 0; j < 4; j++) y[j] = _mm512_add_ps(y[j], b);
                    const __m512d p01l = _mm512_castps_pd(_mm512_permutex2var_ps(y[0], pair_lo, y[1]));
                    const __m512d p01h = _mm512_castps_pd(_mm512_permutex2var_ps(y[0], pair_hi, y[1]));
                    const __m512d p23l = _mm512_castps_pd(_mm512_permutex2var_ps(y[2], pair_lo, y[3]));
                    const __m512d p23h = _mm512_castps_pd(_mm512_permutex2var_ps(y[2], pair_hi, y[3]));
                    float *dst = out + o * oh * ow + (y0 + i) * ow + 4 * tx0;
                    __m512 q[4] = {_mm512_castpd_ps(_mm512_permutex2var_pd(p01l, quad0, p23l)),
                                   _mm512_castpd_ps(_mm512_permutex2var_pd(p01l, quad1, p23l)),
                                   _mm512_castpd_ps(_mm512_permutex2var_pd(p01h, quad0, p23h)),
                                   _mm512_castpd_ps(_mm512_permutex2var_pd(p01h, quad1, p23h))};
                    for (int j = 0; j < 4; j++) {
                        const __mmask16 mj = wlanes(cols - 16 * j);
                        if (epi) q[j] = epilogue512(q[j], epi, o, dst + 16 * j, roff, mj);
                        _mm512_mask_storeu_ps(dst + 16 * j, mj, q[j]);
                    }
                }
            }
        }
    }
}

const wino_ops azoo_wino43_ops = {XI, 4, geo43, pack_u43, input43, output43};

static AVX512 void wino43(const float *pad, long cin, long h, long w, long p, const float *u, long cout,
                          const float *bias, float *out, float *work, long b0, long b1, const azoo_epilogue *epi) {
    wino_blocks(&azoo_wino43_ops, block_rows43, pad, cin, h, w, p, u, cout, bias, out, work, b0, b1, epi);
}

#endif

void azoo_wino43_pack_u(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0,
                        long s1) {
#if CONV_X86
    if (conv_isa() >= 2) { pack_u43(w, cout, cin, ostride, istride, flip, u, s0, s1, (cout + WMR - 1) / WMR * WMR * cin, 0); return; }
#endif
    (void)w; (void)cout; (void)cin; (void)ostride; (void)istride; (void)flip; (void)u; (void)s0; (void)s1;
    abort();  // callers check azoo_wino_available()
}

void azoo_wino_f43(const float *pad, long cin, long h, long w, long p, const float *u, long cout, const float *bias,
                   float *out, float *work, long b0, long b1, const azoo_epilogue *epi) {
#if CONV_X86
    if (conv_isa() >= 2) { wino43(pad, cin, h, w, p, u, cout, bias, out, work, b0, b1, epi); return; }
#endif
    (void)pad; (void)cin; (void)h; (void)w; (void)p; (void)u; (void)cout; (void)bias; (void)out; (void)work; (void)b0; (void)b1;
    (void)epi;
    abort();  // callers check azoo_wino_available()
}

