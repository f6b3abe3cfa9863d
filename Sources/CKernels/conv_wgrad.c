// Weight gradient of the direct stride-1 convolution over the flattened padded planes of
// conv_direct.c: gw[co][c][t] = Σ_images Σ_p g[co][p] · in[c][p + off(t)], where the output
// gradient g is laid out with the input's row stride wp and zeros in the columns ox ≥ ow, so each
// (co, c, tap) is one long dot product of 16-lane vectors. Register tiles: cb output channels × tb
// taps (AVX-512: 4 × 6 = 24 accumulators; AVX2 and portable C: 2 × 2); the tile's partial sums are
// added to 16-lane sums in memory after each image, and reduced to scalars once per channel.
#include "ckernels.h"
#include "conv_vec.h"
#include <stdlib.h>

typedef struct {
    const float *in, *g;
    long cin, plane, gplane, taps, nvec;  // nvec: position vectors of all images
    const long *ipos, *gpos;  // where position vector v starts in a channel's input and gradient
    const long *off;          // tap offsets, padded to a multiple of the tap tile with zeros
} wg_geo;

// dst[(t0 + t)·cb + a] (+)= Σ_{v0 ≤ v < v1} g[a][gpos(v)…] · in[c][ipos(v) + off(t0 + t)…] for t < tb.
INLINE void wg_tile(const wg_geo *w, const float *ic, const float *gc, long t0, long v0, long v1, v16 *dst, int add,
                    const int cb, const int tb) {
    long off[8];
    for (int b = 0; b < tb; b++) off[b] = w->off[t0 + b];
    v16 s[8][8];
    for (int a = 0; a < cb; a++) for (int b = 0; b < tb; b++) s[a][b] = 0;
    for (long v = v0; v < v1; v++) {
        v16 gv[8];
        const float *gp = gc + w->gpos[v], *iv = ic + w->ipos[v];
        for (int a = 0; a < cb; a++) gv[a] = ld16(gp + a * w->gplane);
        for (int b = 0; b < tb; b++) {
            const v16 x = ld16(iv + off[b]);
            for (int a = 0; a < cb; a++) s[a][b] += gv[a] * x;
        }
    }
    const long tv = w->taps - t0 < tb ? w->taps - t0 : tb;
    for (int b = 0; b < tv; b++)
        for (int a = 0; a < cb; a++) {
            v16 *d = dst + (t0 + b) * cb + a;
            *d = add ? *d + s[a][b] : s[a][b];
        }
}

// r[rev4(j)] = Σ lanes of x[j] for j < 16 (rev4 reverses 4 bits): halves, quarters, pairs and
// neighbours of two vectors at a time, 15 additions in all.
static const int rev4[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
INLINE v16 reduce16(const v16 *x) {
    v16 y[8], z[4], u[2];
    for (int i = 0; i < 8; i++)
        y[i] = __builtin_shufflevector(x[2 * i], x[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
             + __builtin_shufflevector(x[2 * i], x[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    for (int i = 0; i < 4; i++)
        z[i] = __builtin_shufflevector(y[2 * i], y[2 * i + 1], 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27)
             + __builtin_shufflevector(y[2 * i], y[2 * i + 1], 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    for (int i = 0; i < 2; i++)
        u[i] = __builtin_shufflevector(z[2 * i], z[2 * i + 1], 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29)
             + __builtin_shufflevector(z[2 * i], z[2 * i + 1], 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    return __builtin_shufflevector(u[0], u[1], 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)
         + __builtin_shufflevector(u[0], u[1], 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
}

// Positions go in chunks of 256/cb vectors (16 KiB of output gradient) with every tap block over
// a chunk while it is in L1; when all positions (all images) fit one chunk the tiles' sums are
// final and go straight to the reduction.
INLINE void wg_block(const wg_geo *w, long co, float *gw, v16 *acc, const int cb, const int tb) {
    const long taps = w->taps, chunk = 256 / cb, n = taps * cb;
    for (long c = 0; c < w->cin; c++) {
        const float *ic = w->in + c * w->plane, *gc = w->g + co * w->gplane;
        if (w->nvec <= chunk) {
            for (long t0 = 0; t0 < taps; t0 += tb) wg_tile(w, ic, gc, t0, 0, w->nvec, acc, 0, cb, tb);
        } else {
            for (long t = 0; t < n; t++) acc[t] = 0;
            for (long v0 = 0; v0 < w->nvec; v0 += chunk) {
                const long v1 = v0 + chunk < w->nvec ? v0 + chunk : w->nvec;
                for (long t0 = 0; t0 < taps; t0 += tb) wg_tile(w, ic, gc, t0, v0, v1, acc, 1, cb, tb);
            }
        }
        for (long i0 = 0; i0 < n; i0 += 16) {
            float r[16];
            st16(r, reduce16(acc + i0));  // acc has room for 16 past n; those lanes are not used
            for (long j = 0; j < 16 && i0 + j < n; j++) {
                const long i = i0 + j, t = i / cb, a = i % cb;
                gw[((co + a) * w->cin + c) * taps + t] = r[rev4[j]];
            }
        }
    }
}

// cb/tb pairs: (4, 6), (2, 8), (1, 8) with 32 registers; (2, 2) and (1, 4) otherwise. (8, 3) needs
// 24 accumulators + 8 gradient vectors + the input vector, one register more than AVX-512 has, and
// per 24 FMAs loads 11 vectors against (4, 6)'s 10: its weight gradient ran 7–9% slower (GAM 7×7,
// perf samples of wg against the unchanged forward kernel).
INLINE void wg_body(const wg_geo *w, float *gw, v16 *acc, long co0, long co1, const int wide) {
    for (long co = co0; co < co1;) {
        const long left = co1 - co;
        if (wide) {
            if (left >= 4) { wg_block(w, co, gw, acc, 4, 6); co += 4; }
            else if (left >= 2) { wg_block(w, co, gw, acc, 2, 8); co += 2; }
            else { wg_block(w, co, gw, acc, 1, 8); co += 1; }
        } else {
            if (left >= 2) { wg_block(w, co, gw, acc, 2, 2); co += 2; }
            else { wg_block(w, co, gw, acc, 1, 4); co += 1; }
        }
    }
}

#if CONV_X86
static AVX512 void wg_avx512(const wg_geo *w, float *gw, v16 *acc, long co0, long co1) { wg_body(w, gw, acc, co0, co1, 1); }
static AVX2 void wg_avx2(const wg_geo *w, float *gw, v16 *acc, long co0, long co1) { wg_body(w, gw, acc, co0, co1, 0); }
#endif
static void wg_generic(const wg_geo *w, float *gw, v16 *acc, long co0, long co1) { wg_body(w, gw, acc, co0, co1, 0); }

void azoo_conv2d_s1_wgrad(const float *in, long cin, long plane, long istride, long wp, const float *g, long gplane,
                          long gstride, long nimg, long oh, long ow, long kh, long kw, long dh, long dw, float *gw,
                          long co0, long co1) {
    const long taps = kh * kw, padded = taps + 8;
    const long vpr = (ow + 15) / 16, rows = azoo_conv2d_s1_rows(oh, ow, wp);
    const long nvec = rows ? oh * vpr : ((oh - 1) * wp + ow + 15) / 16;
    long *off = malloc((size_t)(padded + 2 * nimg * nvec) * sizeof(long)), *ipos = off + padded, *gpos = ipos + nimg * nvec;
    v16 *acc = aligned_alloc(64, (size_t)(taps * 8 + 16) * sizeof(v16));
    for (long t = 0; t < padded; t++) off[t] = t < taps ? (t / kw) * dh * wp + (t % kw) * dw : 0;
    for (long n = 0; n < nimg; n++)
        for (long v = 0; v < nvec; v++) {
            ipos[n * nvec + v] = n * istride + (rows ? (v / vpr) * wp + (v % vpr) * 16 : v * 16);
            gpos[n * nvec + v] = n * gstride + v * 16;
        }
    const wg_geo geo = {in, g, cin, plane, gplane, taps, nimg * nvec, ipos, gpos, off};
#if CONV_X86
    const int isa = conv_isa();
    if (isa == 2) wg_avx512(&geo, gw, acc, co0, co1);
    else if (isa == 1) wg_avx2(&geo, gw, acc, co0, co1);
    else
#endif
        wg_generic(&geo, gw, acc, co0, co1);
    free(acc);
    free(off);
}
