// RoIAlign on channels-last maps (see include/roi_align.h). The sample table follows
// torchvision's CPU kernel (roi_align_kernel.cpp, pre_calc_for_bilinear_interpolate) in float
// arithmetic without contraction, so every floor and clamp decision is the same; the channel
// loops are 16-lane vectors (AVX-512, AVX2 or portable, chosen at run time).
#include "conv_vec.h"
#include "roi_align.h"
#include <math.h>
#include <stdint.h>

// 16-float loads/stores as macros (inline functions returning v16 would change the ABI in the
// AVX2 instantiation).
#define LD(p) ({ v16 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define ST(p, x) do { v16 x_ = (x); memcpy((p), &x_, sizeof x_); } while (0)

/// The bilinear samples of one RoI, bin by bin (bins row-major over (ph, pw)); samples that fall
/// outside [-1, h] × [-1, w] are left out (they add zero but still count in `count`).
typedef struct {
    long nbins, cap;
    int32_t *start;  // nbins + 1 offsets into the samples
    int32_t *pos;    // 4 per sample: y_low·w + x_low, y_low·w + x_high, y_high·w + x_low, y_high·w + x_high
    float *wt;       // 4 per sample: hy·hx, hy·lx, ly·hx, ly·lx
    long batch;      // image of the RoI
    float count;     // torchvision's divisor: max(grid_h · grid_w, 1)
    // per-axis scratch
    long axcap;
    int32_t *ylo, *yhi, *xlo, *xhi;
    float *ly, *lx;
    uint8_t *yok, *xok;
} roi_table;

static void table_free(roi_table *t) {
    free(t->start); free(t->pos); free(t->wt);
    free(t->ylo); free(t->yhi); free(t->xlo); free(t->xhi); free(t->ly); free(t->lx); free(t->yok); free(t->xok);
}

/// One axis of the sample grid: coordinate of sample i in bin p, then torchvision's clamp rules.
static void axis_samples(float start, float bin, long pooled, long grid, long size, int32_t *lo, int32_t *hi, float *l,
                         uint8_t *ok) {
#pragma clang fp contract(off)
    for (long p = 0; p < pooled; p++) {
        for (long i = 0; i < grid; i++) {
            const long k = p * grid + i;
            float v = start + (float)p * bin + ((float)i + .5f) * bin / (float)grid;
            if (v < -1.0f || v > (float)size) { ok[k] = 0; lo[k] = hi[k] = 0; l[k] = 0; continue; }
            ok[k] = 1;
            if (v <= 0) v = 0;
            int32_t a = (int32_t)v, b;
            if (a >= size - 1) { a = b = (int32_t)(size - 1); v = (float)a; } else { b = a + 1; }
            lo[k] = a; hi[k] = b; l[k] = v - (float)a;
        }
    }
}

static int grow(void **p, long count, long size) {
    void *q = realloc(*p, (size_t)(count > 0 ? count : 1) * (size_t)size);
    if (!q) return 0;
    *p = q;
    return 1;
}

/// Fills the table of RoI `roi` (5 floats); `forward` picks torchvision's divisor (the backward
/// kernel does not clamp it to 1, which only matters when there are no samples).
static void table_build(roi_table *t, const float *roi, long h, long w, long ph, long pw, float scale, long sampling,
                        int aligned) {
#pragma clang fp contract(off)
    const float offset = aligned ? 0.5f : 0.0f;
    const float sw = roi[1] * scale - offset, sh = roi[2] * scale - offset;
    const float ew = roi[3] * scale - offset, eh = roi[4] * scale - offset;
    float rw = ew - sw, rh = eh - sh;
    if (!aligned) { rw = rw > 1.f ? rw : 1.f; rh = rh > 1.f ? rh : 1.f; }
    const float bh = rh / (float)ph, bw = rw / (float)pw;
    const long gh = sampling > 0 ? sampling : (long)ceilf(rh / (float)ph);
    const long gw = sampling > 0 ? sampling : (long)ceilf(rw / (float)pw);
    const long prod = gh * gw;
    t->batch = (long)roi[0];
    t->count = (float)(prod > 1 ? prod : 1);
    const long ngh = gh > 0 ? gh : 0, ngw = gw > 0 ? gw : 0;
    const long ay = ph * ngh, ax = pw * ngw, axmax = ay > ax ? ay : ax;
    if (axmax > t->axcap) {
        if (!grow((void **)&t->ylo, axmax, 4) || !grow((void **)&t->yhi, axmax, 4) || !grow((void **)&t->xlo, axmax, 4) ||
            !grow((void **)&t->xhi, axmax, 4) || !grow((void **)&t->ly, axmax, 4) || !grow((void **)&t->lx, axmax, 4) ||
            !grow((void **)&t->yok, axmax, 1) || !grow((void **)&t->xok, axmax, 1))
            abort();
        t->axcap = axmax;
    }
    axis_samples(sh, bh, ph, ngh, h, t->ylo, t->yhi, t->ly, t->yok);
    axis_samples(sw, bw, pw, ngw, w, t->xlo, t->xhi, t->lx, t->xok);
    const long nb = ph * pw, ns = nb * ngh * ngw;
    if (nb + 1 > t->nbins) {
        if (!grow((void **)&t->start, nb + 1, 4)) abort();
        t->nbins = nb + 1;
    }
    if (ns > t->cap) {
        if (!grow((void **)&t->pos, 4 * ns, 4) || !grow((void **)&t->wt, 4 * ns, 4)) abort();
        t->cap = ns;
    }
    long s = 0;
    for (long py = 0; py < ph; py++) {
        for (long px = 0; px < pw; px++) {
            t->start[py * pw + px] = (int32_t)s;
            for (long iy = 0; iy < ngh; iy++) {
                const long ky = py * ngh + iy;
                if (!t->yok[ky]) continue;
                const float ly = t->ly[ky], hy = 1.f - ly;
                const long r0 = (long)t->ylo[ky] * w, r1 = (long)t->yhi[ky] * w;
                for (long ix = 0; ix < ngw; ix++) {
                    const long kx = px * ngw + ix;
                    if (!t->xok[kx]) continue;
                    const float lx = t->lx[kx], hx = 1.f - lx;
                    int32_t *p = t->pos + 4 * s;
                    float *q = t->wt + 4 * s;
                    p[0] = (int32_t)(r0 + t->xlo[kx]); p[1] = (int32_t)(r0 + t->xhi[kx]);
                    p[2] = (int32_t)(r1 + t->xlo[kx]); p[3] = (int32_t)(r1 + t->xhi[kx]);
                    q[0] = hy * hx; q[1] = hy * lx; q[2] = ly * hx; q[3] = ly * lx;
                    s++;
                }
            }
        }
    }
    t->start[nb] = (int32_t)s;
}

// acc (nb × c) = Σ over each bin's samples of the weighted corner rows of f (pixels × c).
#define FWD_BINS(ATTR, NAME)                                                                                    \
    static ATTR void NAME(const roi_table *t, const float *f, long c, long nb, float *acc) {                 \
        for (long b = 0; b < nb; b++) {                                                                       \
            const long s0 = t->start[b], s1 = t->start[b + 1];                                                \
            float *dst = acc + b * c;                                                                         \
            long k = 0;                                                                                       \
            for (; k + 64 <= c; k += 64) {                                                                    \
                v16 a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                           \
                for (long s = s0; s < s1; s++) {                                                              \
                    const int32_t *p = t->pos + 4 * s;                                                        \
                    const float *q = t->wt + 4 * s;                                                           \
                    const float *f0 = f + (long)p[0] * c + k, *f1 = f + (long)p[1] * c + k;                   \
                    const float *f2 = f + (long)p[2] * c + k, *f3 = f + (long)p[3] * c + k;                   \
                    const v16 w0 = q[0], w1 = q[1], w2 = q[2], w3 = q[3];                                     \
                    a0 += w0 * LD(f0) + w1 * LD(f1) + w2 * LD(f2) + w3 * LD(f3);                      \
                    a1 += w0 * LD(f0 + 16) + w1 * LD(f1 + 16) + w2 * LD(f2 + 16) + w3 * LD(f3 + 16);  \
                    a2 += w0 * LD(f0 + 32) + w1 * LD(f1 + 32) + w2 * LD(f2 + 32) + w3 * LD(f3 + 32);  \
                    a3 += w0 * LD(f0 + 48) + w1 * LD(f1 + 48) + w2 * LD(f2 + 48) + w3 * LD(f3 + 48);  \
                }                                                                                             \
                ST(dst + k, a0); ST(dst + k + 16, a1); ST(dst + k + 32, a2); ST(dst + k + 48, a3);     \
            }                                                                                                 \
            for (; k + 16 <= c; k += 16) {                                                                    \
                v16 a0 = 0;                                                                                   \
                for (long s = s0; s < s1; s++) {                                                              \
                    const int32_t *p = t->pos + 4 * s;                                                        \
                    const float *q = t->wt + 4 * s;                                                           \
                    a0 += q[0] * LD(f + (long)p[0] * c + k) + q[1] * LD(f + (long)p[1] * c + k) +         \
                          q[2] * LD(f + (long)p[2] * c + k) + q[3] * LD(f + (long)p[3] * c + k);          \
                }                                                                                             \
                ST(dst + k, a0);                                                                            \
            }                                                                                                 \
            for (; k < c; k++) {                                                                              \
                float a0 = 0;                                                                                 \
                for (long s = s0; s < s1; s++) {                                                              \
                    const int32_t *p = t->pos + 4 * s;                                                        \
                    const float *q = t->wt + 4 * s;                                                           \
                    a0 += q[0] * f[(long)p[0] * c + k] + q[1] * f[(long)p[1] * c + k] +                       \
                          q[2] * f[(long)p[2] * c + k] + q[3] * f[(long)p[3] * c + k];                        \
                }                                                                                             \
                dst[k] = a0;                                                                                  \
            }                                                                                                 \
        }                                                                                                     \
    }

// gin rows (pixels × stride, channels k0.. of width cw) += weight · g (nb × cw) per sample corner.
#define BWD_BINS(ATTR, NAME)                                                                                    \
    static ATTR void NAME(const roi_table *t, const float *g, long cw, long nb, float *gin, long stride) {   \
        for (long b = 0; b < nb; b++) {                                                                       \
            const long s0 = t->start[b], s1 = t->start[b + 1];                                                \
            const float *gb = g + b * cw;                                                                     \
            for (long s = s0; s < s1; s++) {                                                                  \
                const int32_t *p = t->pos + 4 * s;                                                            \
                const float *q = t->wt + 4 * s;                                                               \
                for (int corner = 0; corner < 4; corner++) {                                                  \
                    float *d = gin + (long)p[corner] * stride;                                                \
                    const float wv = q[corner];                                                               \
                    long k = 0;                                                                               \
                    for (; k + 16 <= cw; k += 16) ST(d + k, LD(d + k) + wv * LD(gb + k));               \
                    for (; k < cw; k++) d[k] += wv * gb[k];                                                   \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    }

FWD_BINS(, fwd_generic)
BWD_BINS(, bwd_generic)
#if CONV_X86
FWD_BINS(AVX2, fwd_avx2)
BWD_BINS(AVX2, bwd_avx2)
FWD_BINS(AVX512, fwd_avx512)
BWD_BINS(AVX512, bwd_avx512)
#endif

typedef void (*fwd_fn)(const roi_table *, const float *, long, long, float *);
typedef void (*bwd_fn)(const roi_table *, const float *, long, long, float *, long);

void azoo_roi_align_forward(const float *feat, long n, long h, long w, long c, const float *rois, const long *index,
                            long count, long ph, long pw, float scale, long sampling, int aligned, float *out) {
    (void)n;
    fwd_fn fwd = fwd_generic;
#if CONV_X86
    const int isa = conv_isa();
    if (isa == 2) fwd = fwd_avx512; else if (isa == 1) fwd = fwd_avx2;
#endif
    const long nb = ph * pw;
    roi_table t = {0};
    float *acc = malloc((size_t)(nb * c + 16) * sizeof(float));
    if (!acc) abort();
    for (long i = 0; i < count; i++) {
        const long r = index ? index[i] : i;
        table_build(&t, rois + 5 * r, h, w, ph, pw, scale, sampling, aligned);
        fwd(&t, feat + t.batch * h * w * c, c, nb, acc);
        // (nb × c) → (c × nb), divided by the sample count as torchvision does
        float *o = out + r * c * nb;
        const float cnt = t.count;
        for (long ch = 0; ch < c; ch++)
            for (long b = 0; b < nb; b++) o[ch * nb + b] = acc[b * c + ch] / cnt;
    }
    free(acc);
    table_free(&t);
}

void azoo_roi_align_backward(const float *gout, long n, long h, long w, long c, const float *rois, const long *index,
                             long count, long ph, long pw, float scale, long sampling, int aligned, long c0, long c1,
                             float *gin) {
    (void)n;
    if (c1 <= c0) return;
    bwd_fn bwd = bwd_generic;
#if CONV_X86
    const int isa = conv_isa();
    if (isa == 2) bwd = bwd_avx512; else if (isa == 1) bwd = bwd_avx2;
#endif
    const long nb = ph * pw, cw = c1 - c0;
    roi_table t = {0};
    float *g = malloc((size_t)(nb * cw + 16) * sizeof(float));
    if (!g) abort();
    for (long i = 0; i < count; i++) {
        const long r = index ? index[i] : i;
        table_build(&t, rois + 5 * r, h, w, ph, pw, scale, sampling, aligned);
        if (t.start[nb] == 0) continue;
        // this RoI's output gradient of channels c0..<c1 as (nb × cw), divided by the sample count
        const float *go = gout + (r * c + c0) * nb;
        const float cnt = t.count;
        for (long j = 0; j < cw; j++)
            for (long b = 0; b < nb; b++) g[b * cw + j] = go[j * nb + b] / cnt;
        bwd(&t, g, cw, nb, gin + t.batch * h * w * c + c0, c);
    }
    free(g);
    table_free(&t);
}

// Planar (NCHW) variants: no transposed copy of the map, scalar gathers per channel. Cheaper
// when a map is large and its RoIs few (the fine levels of a pyramid).
void azoo_roi_align_forward_planar(const float *feat, long n, long h, long w, long c, const float *rois,
                                   const long *index, long count, long ph, long pw, float scale, long sampling,
                                   int aligned, float *out) {
    (void)n;
    const long nb = ph * pw, hw = h * w;
    roi_table t = {0};
    for (long i = 0; i < count; i++) {
        const long r = index ? index[i] : i;
        table_build(&t, rois + 5 * r, h, w, ph, pw, scale, sampling, aligned);
        const float cnt = t.count;
        for (long ch = 0; ch < c; ch++) {
            const float *f = feat + (t.batch * c + ch) * hw;
            float *o = out + (r * c + ch) * nb;
            for (long b = 0; b < nb; b++) {
                float a = 0;
                for (long s = t.start[b]; s < t.start[b + 1]; s++) {
                    const int32_t *p = t.pos + 4 * s;
                    const float *q = t.wt + 4 * s;
                    a += q[0] * f[p[0]] + q[1] * f[p[1]] + q[2] * f[p[2]] + q[3] * f[p[3]];
                }
                o[b] = a / cnt;
            }
        }
    }
    table_free(&t);
}

void azoo_roi_align_backward_planar(const float *gout, long n, long h, long w, long c, const float *rois,
                                    const long *index, long count, long ph, long pw, float scale, long sampling,
                                    int aligned, long c0, long c1, float *gin) {
    (void)n;
    const long nb = ph * pw, hw = h * w;
    roi_table t = {0};
    for (long i = 0; i < count; i++) {
        const long r = index ? index[i] : i;
        table_build(&t, rois + 5 * r, h, w, ph, pw, scale, sampling, aligned);
        if (t.start[nb] == 0) continue;
        const float cnt = t.count;
        for (long ch = c0; ch < c1; ch++) {
            float *d = gin + (t.batch * c + ch) * hw;
            const float *go = gout + (r * c + ch) * nb;
            for (long b = 0; b < nb; b++) {
                const float g = go[b] / cnt;
                for (long s = t.start[b]; s < t.start[b + 1]; s++) {
                    const int32_t *p = t.pos + 4 * s;
                    const float *q = t.wt + 4 * s;
                    d[p[0]] += q[0] * g; d[p[1]] += q[1] * g; d[p[2]] += q[2] * g; d[p[3]] += q[3] * g;
                }
            }
        }
    }
    table_free(&t);
}
