// Direct stride-1 convolution kernels over zero-padded planes, for the shapes where im2col + GEMM
// is poor: few output channels per group (GEMM with a short M dimension reads a column matrix
// k·k times the size of the input) and many small groups. Register tiles of 6 output channels ×
// 16 columns (twelve 8-lane accumulators) over input channels and taps, with 8-lane vector
// extensions compiled for AVX2/FMA when the CPU has them (chosen at run time), portable otherwise.
#include "ckernels.h"
#include <string.h>

typedef float v8 __attribute__((ext_vector_type(8)));

static inline __attribute__((always_inline)) v8 load8(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
static inline __attribute__((always_inline)) void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) void store_row(float *dst, v8 a, v8 b, long n) {
    if (n >= 16) { store8(dst, a); store8(dst + 8, b); return; }
    float tmp[16];
    store8(tmp, a); store8(tmp + 8, b);
    memcpy(dst, tmp, (size_t)n * sizeof(float));
}

// One register tile: cb output channels (constant at each call site) × 16 columns of row oy.
static inline __attribute__((always_inline)) void conv_tile(
    const float *in, long cin, long plane, long wp, const float *w0, long wstride, long kh, long kw, long dh, long dw,
    const float *bias, long co, float *out, long oh, long ow, long oy, long ox, const int cb) {
    const long taps = kh * kw;
    v8 a[6][2];
    for (int q = 0; q < cb; q++) { const float b = bias ? bias[co + q] : 0; a[q][0] = b; a[q][1] = b; }
    for (long c = 0; c < cin; c++) {
        const float *ip = in + c * plane + oy * wp + ox;
        const float *wc = w0 + c * taps;
        for (long i = 0; i < kh; i++) {
            const float *row = ip + i * dh * wp;
            const float *wr = wc + i * kw;
            for (long j = 0; j < kw; j++) {
                const v8 x0 = load8(row + j * dw), x1 = load8(row + j * dw + 8);
                for (int q = 0; q < cb; q++) {
                    const float s = wr[j + q * wstride];
                    a[q][0] += x0 * s; a[q][1] += x1 * s;
                }
            }
        }
    }
    const long n = ow - ox;
    for (int q = 0; q < cb; q++) store_row(out + (co + q) * oh * ow + oy * ow + ox, a[q][0], a[q][1], n);
}

// Output channels co0..<co1 of one image and one group. See ckernels.h for the layouts.
// Tiles of 6 channels (twelve 8-lane accumulators hide the FMA latency), then 4, 2, 1.
static inline __attribute__((always_inline)) void conv_s1_body(
    const float *in, long cin, long hp, long wp, const float *w, long kh, long kw, long dh, long dw,
    const float *bias, float *out, long oh, long ow, long co0, long co1) {
    const long plane = hp * wp, wstride = cin * kh * kw;
    long co = co0;
#define TILES(cb)                                                                                         \
    for (; co + cb <= co1; co += cb)                                                                      \
        for (long oy = 0; oy < oh; oy++)                                                                  \
            for (long ox = 0; ox < ow; ox += 16)                                                          \
                conv_tile(in, cin, plane, wp, w + co * wstride, wstride, kh, kw, dh, dw, bias, co, out, oh, ow, oy, ox, cb);
    TILES(6)
    TILES(4)
    TILES(2)
    TILES(1)
#undef TILES
}

// One tile of the weight gradient: cb (1 or 2) output channels × jb (1..4) taps of kernel row i,
// summed over the image; constant cb and jb at the call sites keep the accumulators in registers.
static inline __attribute__((always_inline)) void wgrad_tile(
    const float *ic, long wp, const float *g0, long gstride, long gwp, long oh, long i, long j, long dh, long dw,
    float *d0, long dstride, const int cb, const int jb) {
    v8 s[2][4];
    for (int a = 0; a < 2; a++) for (int b = 0; b < 4; b++) s[a][b] = 0;
    for (long oy = 0; oy < oh; oy++) {
        const float *gr = g0 + oy * gwp, *row = ic + (oy + i * dh) * wp + j * dw;
        for (long ox = 0; ox < gwp; ox += 8) {
            v8 gv[2];
            for (int a = 0; a < cb; a++) gv[a] = load8(gr + a * gstride + ox);
            for (int b = 0; b < jb; b++) {
                const v8 xv = load8(row + ox + b * dw);
                for (int a = 0; a < cb; a++) s[a][b] += gv[a] * xv;
            }
        }
    }
    for (int a = 0; a < cb; a++)
        for (int b = 0; b < jb; b++) {
            const v8 v = s[a][b];
            d0[a * dstride + b] += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
        }
}

#define WGRAD_ROW(cb)                                                                             \
    for (long j = 0; j < kw;) {                                                                   \
        const long left = kw - j;                                                                 \
        float *d = dst + i * kw + j;                                                              \
        if (left >= 4) { wgrad_tile(ic, wp, gc, gstride, gwp, oh, i, j, dh, dw, d, dstride, cb, 4); j += 4; } \
        else if (left == 3) { wgrad_tile(ic, wp, gc, gstride, gwp, oh, i, j, dh, dw, d, dstride, cb, 3); j += 3; } \
        else if (left == 2) { wgrad_tile(ic, wp, gc, gstride, gwp, oh, i, j, dh, dw, d, dstride, cb, 2); j += 2; } \
        else { wgrad_tile(ic, wp, gc, gstride, gwp, oh, i, j, dh, dw, d, dstride, cb, 1); j += 1; }  \
    }

// Weight gradient of output channels co0..<co1 (one group) accumulated over one image:
// gw[co][c][i][j] += Σ_{oy, ox} g[co][oy][ox] · in[c][oy + i·dh][ox + j·dw], with g rows padded
// by zeros to gwp (a multiple of 8) so that whole vectors can be read.
static inline __attribute__((always_inline)) void conv_s1_wgrad_body(
    const float *in, long cin, long hp, long wp, const float *g, long gwp, long oh, long ow,
    long kh, long kw, long dh, long dw, float *gw, long co0, long co1) {
    const long taps = kh * kw, plane = hp * wp, gstride = oh * gwp, dstride = cin * taps;
    (void)ow;
    long co = co0;
    for (; co + 2 <= co1; co += 2) {
        const float *gc = g + co * gstride;
        for (long c = 0; c < cin; c++) {
            const float *ic = in + c * plane;
            float *dst = gw + (co * cin + c) * taps;
            for (long i = 0; i < kh; i++) { WGRAD_ROW(2) }
        }
    }
    for (; co < co1; co++) {
        const float *gc = g + co * gstride;
        for (long c = 0; c < cin; c++) {
            const float *ic = in + c * plane;
            float *dst = gw + (co * cin + c) * taps;
            for (long i = 0; i < kh; i++) { WGRAD_ROW(1) }
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
#define AVX2 __attribute__((target("avx2,fma")))
static AVX2 void conv_s1_avx2(const float *in, long cin, long hp, long wp, const float *w, long kh, long kw, long dh, long dw,
                              const float *bias, float *out, long oh, long ow, long co0, long co1) {
    // 3×3 with constant extents: the tap loops unroll fully (no loop overhead between FMAs).
    if (kh == 3 && kw == 3) { conv_s1_body(in, cin, hp, wp, w, 3, 3, dh, dw, bias, out, oh, ow, co0, co1); return; }
    conv_s1_body(in, cin, hp, wp, w, kh, kw, dh, dw, bias, out, oh, ow, co0, co1);
}
static AVX2 void wgrad_avx2(const float *in, long cin, long hp, long wp, const float *g, long gwp, long oh, long ow,
                            long kh, long kw, long dh, long dw, float *gw, long co0, long co1) {
    conv_s1_wgrad_body(in, cin, hp, wp, g, gwp, oh, ow, kh, kw, dh, dw, gw, co0, co1);
}
static int conv_has_avx2(void) {
    static int cached = -1;
    if (cached < 0) { __builtin_cpu_init(); cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
    return cached;
}
#endif

static void conv_s1_generic(const float *in, long cin, long hp, long wp, const float *w, long kh, long kw, long dh, long dw,
                            const float *bias, float *out, long oh, long ow, long co0, long co1) {
    conv_s1_body(in, cin, hp, wp, w, kh, kw, dh, dw, bias, out, oh, ow, co0, co1);
}
static void wgrad_generic(const float *in, long cin, long hp, long wp, const float *g, long gwp, long oh, long ow,
                          long kh, long kw, long dh, long dw, float *gw, long co0, long co1) {
    conv_s1_wgrad_body(in, cin, hp, wp, g, gwp, oh, ow, kh, kw, dh, dw, gw, co0, co1);
}

void azoo_conv2d_s1(const float *in, long cin, long hp, long wp, const float *w, long kh, long kw, long dh, long dw,
                    const float *bias, float *out, long oh, long ow, long co0, long co1) {
#if defined(__x86_64__) && defined(__clang__)
    if (conv_has_avx2()) { conv_s1_avx2(in, cin, hp, wp, w, kh, kw, dh, dw, bias, out, oh, ow, co0, co1); return; }
#endif
    conv_s1_generic(in, cin, hp, wp, w, kh, kw, dh, dw, bias, out, oh, ow, co0, co1);
}

void azoo_conv2d_s1_wgrad(const float *in, long cin, long hp, long wp, const float *g, long gwp, long oh, long ow,
                          long kh, long kw, long dh, long dw, float *gw, long co0, long co1) {
#if defined(__x86_64__) && defined(__clang__)
    if (conv_has_avx2()) { wgrad_avx2(in, cin, hp, wp, g, gwp, oh, ow, kh, kw, dh, dw, gw, co0, co1); return; }
#endif
    wgrad_generic(in, cin, hp, wp, g, gwp, oh, ow, kh, kw, dh, dw, gw, co0, co1);
}
