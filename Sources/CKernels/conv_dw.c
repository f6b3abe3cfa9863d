// Depthwise stride-1 convolution of one zero-padded plane: every output vector (16 columns of a
// row) is accumulated in a register over all taps and stored once, instead of one pass over the
// row per tap. 3×3 kernels get the taps unrolled at compile time.
#include "ckernels.h"
#include "conv_vec.h"

INLINE void dw_body(const float *xp, long wp, const float *wk, long kh, long kw, long dh, long dw, int flip, float bias,
                    int add, float *y, long oh, long ow, const int wide) {
    const long taps = kh * kw;
    float wt[64];
    const int small = taps <= 64;
    if (small) for (long t = 0; t < taps; t++) wt[t] = wk[flip ? taps - 1 - t : t];
    for (long oy = 0; oy < oh; oy++) {
        float *yr = y + oy * ow;
        for (long ox = 0; ox < ow; ox += 16) {
            v16 acc = add ? (v16)0 : (v16)bias;
            for (long i = 0; i < kh; i++) {
                const float *r = xp + (oy + i * dh) * wp + ox;
                for (long j = 0; j < kw; j++) {
                    const long t = i * kw + j;
                    const float wv = small ? wt[t] : wk[flip ? taps - 1 - t : t];
                    acc += wv * ld16(r + j * dw);
                }
            }
            const long n = ow - ox < 16 ? ow - ox : 16;
            if (add) {
                if (n == 16) st16(yr + ox, ld16(yr + ox) + acc);
                else {
                    float tmp[16];
                    st16(tmp, acc);
                    for (long l = 0; l < n; l++) yr[ox + l] += tmp[l];
                }
            } else if (n == 16) st16(yr + ox, acc);
            else st16_lanes(yr + ox, acc, 0, n, wide);
        }
    }
}

INLINE void dw_dispatch(const float *xp, long wp, const float *wk, long kh, long kw, long dh, long dw, int flip,
                        float bias, int add, float *y, long oh, long ow, const int wide) {
    if (kh == 3 && kw == 3) dw_body(xp, wp, wk, 3, 3, dh, dw, flip, bias, add, y, oh, ow, wide);
    else dw_body(xp, wp, wk, kh, kw, dh, dw, flip, bias, add, y, oh, ow, wide);
}

// gw[t] += Σ_{oy, ox} gy[oy][ox] · xp[oy + i·dh][ox + j·dw], t = i·kw + j, one 16-lane sum per tap.
INLINE void dw_wgrad_body(const float *xp, long wp, const float *gy, long oh, long ow, long kh, long kw, long dh, long dw,
                          float *gw) {
    const long taps = kh * kw;
    v16 acc[64];
    for (long t = 0; t < taps; t++) acc[t] = 0;
    for (long oy = 0; oy < oh; oy++) {
        const float *gr = gy + oy * ow;
        for (long ox = 0; ox < ow; ox += 16) {
            v16 g;
            if (ow - ox >= 16) g = ld16(gr + ox);
            else {
                float tmp[16] = {0};
                for (long l = 0; l < ow - ox; l++) tmp[l] = gr[ox + l];
                g = ld16(tmp);
            }
            for (long i = 0; i < kh; i++) {
                const float *r = xp + (oy + i * dh) * wp + ox;
                for (long j = 0; j < kw; j++) acc[i * kw + j] += g * ld16(r + j * dw);
            }
        }
    }
    for (long t = 0; t < taps; t++) {
        float s = 0;
        for (int l = 0; l < 16; l++) s += acc[t][l];
        gw[t] += s;
    }
}

INLINE void dw_wgrad_dispatch(const float *xp, long wp, const float *gy, long oh, long ow, long kh, long kw, long dh,
                              long dw, float *gw) {
    if (kh == 3 && kw == 3) dw_wgrad_body(xp, wp, gy, oh, ow, 3, 3, dh, dw, gw);
    else dw_wgrad_body(xp, wp, gy, oh, ow, kh, kw, dh, dw, gw);
}

#if CONV_X86
static AVX512 void dw_wgrad_avx512(const float *xp, long wp, const float *gy, long oh, long ow, long kh, long kw,
                                   long dh, long dw, float *gw) {
    dw_wgrad_dispatch(xp, wp, gy, oh, ow, kh, kw, dh, dw, gw);
}
static AVX2 void dw_wgrad_avx2(const float *xp, long wp, const float *gy, long oh, long ow, long kh, long kw, long dh,
                               long dw, float *gw) {
    dw_wgrad_dispatch(xp, wp, gy, oh, ow, kh, kw, dh, dw, gw);
}
#endif

void azoo_dwconv2d_s1_wgrad(const float *xp, long wp, const float *gy, long oh, long ow, long kh, long kw, long dh,
                            long dw, float *gw) {
#if CONV_X86
    const int isa = conv_isa();
    if (isa == 2) { dw_wgrad_avx512(xp, wp, gy, oh, ow, kh, kw, dh, dw, gw); return; }
    if (isa == 1) { dw_wgrad_avx2(xp, wp, gy, oh, ow, kh, kw, dh, dw, gw); return; }
#endif
    dw_wgrad_dispatch(xp, wp, gy, oh, ow, kh, kw, dh, dw, gw);
}

#if CONV_X86
static AVX512 void dw_avx512(const float *xp, long wp, const float *wk, long kh, long kw, long dh, long dw, int flip,
                             float bias, int add, float *y, long oh, long ow) {
    dw_dispatch(xp, wp, wk, kh, kw, dh, dw, flip, bias, add, y, oh, ow, 1);
}
static AVX2 void dw_avx2(const float *xp, long wp, const float *wk, long kh, long kw, long dh, long dw, int flip,
                         float bias, int add, float *y, long oh, long ow) {
    dw_dispatch(xp, wp, wk, kh, kw, dh, dw, flip, bias, add, y, oh, ow, 0);
}
#endif

void azoo_dwconv2d_s1(const float *xp, long wp, const float *wk, long kh, long kw, long dh, long dw, int flip,
                      float bias, int add, float *y, long oh, long ow) {
#if CONV_X86
    const int isa = conv_isa();
    if (isa == 2) { dw_avx512(xp, wp, wk, kh, kw, dh, dw, flip, bias, add, y, oh, ow); return; }
    if (isa == 1) { dw_avx2(xp, wp, wk, kh, kw, dh, dw, flip, bias, add, y, oh, ow); return; }
#endif
    dw_dispatch(xp, wp, wk, kh, kw, dh, dw, flip, bias, add, y, oh, ow, 0);
}
