// Weight gradient of the direct stride-1 convolution over the flattened padded planes of
// conv_direct.c: gw[co][c][t] = Σ_images Σ_p g[co][p] · in[c][p + off(t)], where the output
// gradient g is laid out with the input's row stride wp and zeros in the columns ox ≥ ow, so each
// (co, c, tap) is one long dot product of 16-lane vectors. Register tiles: cb output channels × tb
// taps (AVX-512: 8 × 3 = 24 accumulators; AVX2 and portable C: 2 × 2); the tile's partial sums are
// added to 16-lane sums in memory after each image, and reduced to scalars once per channel.
#include "ckernels.h"
#include "conv_vec.h"
#include <stdlib.h>

typedef struct {
    const float *in, *g;
    long cin, plane, istride, gplane, gstride, nimg, taps, nvec;
    const long *ipos;  // input position of position vector v (g's is 16·v)
    const long *off;   // tap offsets, padded to a multiple of the tap tile with zeros
} wg_geo;

// acc[t·cb + a] += Σ_{v0 ≤ v < v1} g[a][16v…] · in[c][ipos(v) + off(t0 + t)…] for t < tb, one image.
INLINE void wg_tile(const wg_geo *w, const float *ip, const float *gp, long t0, long v0, long v1, v16 *acc,
                    const int cb, const int tb) {
    long off[8];
    for (int b = 0; b < tb; b++) off[b] = w->off[t0 + b];
    v16 s[8][8];
    for (int a = 0; a < cb; a++) for (int b = 0; b < tb; b++) s[a][b] = 0;
    for (long v = v0; v < v1; v++) {
        v16 gv[8];
        for (int a = 0; a < cb; a++) gv[a] = ld16(gp + a * w->gplane + v * 16);
        const float *iv = ip + w->ipos[v];
        for (int b = 0; b < tb; b++) {
            const v16 x = ld16(iv + off[b]);
            for (int a = 0; a < cb; a++) s[a][b] += gv[a] * x;
        }
    }
    const long tv = w->taps - t0 < tb ? w->taps - t0 : tb;
    for (int b = 0; b < tv; b++) for (int a = 0; a < cb; a++) acc[(t0 + b) * cb + a] += s[a][b];
}

// Positions go in chunks of 256/cb vectors (16 KiB of output gradient), so that a chunk stays in
// L1 while every tap block passes over it.
INLINE void wg_block(const wg_geo *w, long co, float *gw, v16 *acc, const int cb, const int tb) {
    const long taps = w->taps, chunk = 256 / cb;
    for (long c = 0; c < w->cin; c++) {
        for (long t = 0; t < taps * cb; t++) acc[t] = 0;
        for (long n = 0; n < w->nimg; n++) {
            const float *ip = w->in + c * w->plane + n * w->istride, *gp = w->g + co * w->gplane + n * w->gstride;
            for (long v0 = 0; v0 < w->nvec; v0 += chunk) {
                const long v1 = v0 + chunk < w->nvec ? v0 + chunk : w->nvec;
                for (long t0 = 0; t0 < taps; t0 += tb) wg_tile(w, ip, gp, t0, v0, v1, acc, cb, tb);
            }
        }
        for (int a = 0; a < cb; a++)
            for (long t = 0; t < taps; t++) {
                const v16 v = acc[t * cb + a];
                const v8 h8 = v.lo + v.hi;
                gw[((co + a) * w->cin + c) * taps + t] = ((h8[0] + h8[4]) + (h8[1] + h8[5])) + ((h8[2] + h8[6]) + (h8[3] + h8[7]));
            }
    }
}

// cb/tb pairs: (8, 3), (4, 6), (2, 8), (1, 8) with 32 registers; (2, 2) and (1, 4) otherwise.
INLINE void wg_body(const wg_geo *w, float *gw, v16 *acc, long co0, long co1, const int wide) {
    for (long co = co0; co < co1;) {
        const long left = co1 - co;
        if (wide) {
            if (left >= 8) { wg_block(w, co, gw, acc, 8, 3); co += 8; }
            else if (left >= 4) { wg_block(w, co, gw, acc, 4, 6); co += 4; }
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
    long *off = malloc((size_t)padded * sizeof(long));
    v16 *acc = aligned_alloc(64, (size_t)taps * 8 * sizeof(v16));
    for (long t = 0; t < padded; t++) off[t] = t < taps ? (t / kw) * dh * wp + (t % kw) * dw : 0;
    const long vpr = (ow + 15) / 16, rows = azoo_conv2d_s1_rows(oh, ow, wp);
    const long nvec = rows ? oh * vpr : ((oh - 1) * wp + ow + 15) / 16;
    long *ipos = malloc((size_t)nvec * sizeof(long));
    for (long v = 0; v < nvec; v++) ipos[v] = rows ? (v / vpr) * wp + (v % vpr) * 16 : v * 16;
    const wg_geo geo = {in, g, cin, plane, istride, gplane, gstride, nimg, taps, nvec, ipos, off};
#if CONV_X86
    const int isa = conv_isa();
    if (isa == 2) wg_avx512(&geo, gw, acc, co0, co1);
    else if (isa == 1) wg_avx2(&geo, gw, acc, co0, co1);
    else
#endif
        wg_generic(&geo, gw, acc, co0, co1);
    free(acc);
    free(ipos);
    free(off);
}
