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

// Planar (NCHW) variants: no transposed copy of the map. The tables of all listed RoIs are
// built first; then blocks of 8 channels run over all RoIs, so the block's planes stay in cache
// and each table entry serves 8 channels. Calls split the channels (c0..<c1).
typedef struct {
    long count, nb;
    long *start;     // count·nb + 1 sample offsets
    int32_t *pos;    // 4 per sample
    float *wt;       // 4 per sample
    long *batch;     // per RoI
    float *cnt;      // per RoI
} table_set;

static void tables_build(table_set *ts, const float *rois, const long *index, long count, long h, long w, long ph,
                         long pw, float scale, long sampling, int aligned) {
    const long nb = ph * pw;
    roi_table t = {0};
    long cap = 0, used = 0;
    ts->count = count; ts->nb = nb; ts->pos = NULL; ts->wt = NULL;
    ts->start = malloc((size_t)(count * nb + 1) * sizeof(long));
    ts->batch = malloc((size_t)(count > 0 ? count : 1) * sizeof(long));
    ts->cnt = malloc((size_t)(count > 0 ? count : 1) * sizeof(float));
    if (!ts->start || !ts->batch || !ts->cnt) abort();
    for (long i = 0; i < count; i++) {
        const long r = index ? index[i] : i;
        table_build(&t, rois + 5 * r, h, w, ph, pw, scale, sampling, aligned);
        const long ns = t.start[nb];
        if (used + ns > cap) {
            cap = (used + ns) * 2;
            if (!grow((void **)&ts->pos, 4 * cap, 4) || !grow((void **)&ts->wt, 4 * cap, 4)) abort();
        }
        memcpy(ts->pos + 4 * used, t.pos, (size_t)(4 * ns) * sizeof(int32_t));
        memcpy(ts->wt + 4 * used, t.wt, (size_t)(4 * ns) * sizeof(float));
        for (long b = 0; b < nb; b++) ts->start[i * nb + b] = used + t.start[b];
        used += ns;
        ts->batch[i] = t.batch; ts->cnt[i] = t.count;
    }
    ts->start[count * nb] = used;
    table_free(&t);
}

static void tables_free(table_set *ts) { free(ts->start); free(ts->pos); free(ts->wt); free(ts->batch); free(ts->cnt); }

#define PLANAR_BLOCK 8

// Forward (adjoint = 0): out rows (K, c, nb) from the planes `src`; backward (adjoint = 1): the
// planes `dst` += the weights times gout rows `src` / count. Channels c0..<c1.
static void planar(const float *src, long h, long w, long c, const float *rois, const long *index, long count, long ph,
                   long pw, float scale, long sampling, int aligned, long c0, long c1, float *dst, int adjoint) {
    const long nb = ph * pw, hw = h * w;
    table_set ts;
    tables_build(&ts, rois, index, count, h, w, ph, pw, scale, sampling, aligned);
    for (long cb = c0; cb < c1; cb += PLANAR_BLOCK) {
        const long m = c1 - cb < PLANAR_BLOCK ? c1 - cb : PLANAR_BLOCK;
        for (long i = 0; i < count; i++) {
            const long r = index ? index[i] : i;
            const long plane = (ts.batch[i] * c + cb) * hw, row = (r * c + cb) * nb;
            const float cnt = ts.cnt[i];
            for (long b = 0; b < nb; b++) {
                const long s0 = ts.start[i * nb + b], s1 = ts.start[i * nb + b + 1];
                if (!adjoint) {
                    const float *f = src + plane;
                    float a[PLANAR_BLOCK] = {0};
                    for (long s = s0; s < s1; s++) {
                        const int32_t *p = ts.pos + 4 * s;
                        const float *q = ts.wt + 4 * s;
                        for (long j = 0; j < m; j++) {
                            const float *fj = f + j * hw;
                            a[j] += q[0] * fj[p[0]] + q[1] * fj[p[1]] + q[2] * fj[p[2]] + q[3] * fj[p[3]];
                        }
                    }
                    for (long j = 0; j < m; j++) dst[row + j * nb + b] = a[j] / cnt;
                } else {
                    float *d = dst + plane;
                    float g[PLANAR_BLOCK];
                    for (long j = 0; j < m; j++) g[j] = src[row + j * nb + b] / cnt;
                    for (long s = s0; s < s1; s++) {
                        const int32_t *p = ts.pos + 4 * s;
                        const float *q = ts.wt + 4 * s;
                        for (long j = 0; j < m; j++) {
                            float *dj = d + j * hw;
                            dj[p[0]] += q[0] * g[j]; dj[p[1]] += q[1] * g[j]; dj[p[2]] += q[2] * g[j]; dj[p[3]] += q[3] * g[j];
                        }
                    }
                }
            }
        }
    }
    tables_free(&ts);
}

void azoo_roi_align_forward_planar(const float *feat, long n, long h, long w, long c, const float *rois,
                                   const long *index, long count, long ph, long pw, float scale, long sampling,
                                   int aligned, long c0, long c1, float *out) {
    (void)n;
    planar(feat, h, w, c, rois, index, count, ph, pw, scale, sampling, aligned, c0, c1, out, 0);
}

void azoo_roi_align_backward_planar(const float *gout, long n, long h, long w, long c, const float *rois,
                                    const long *index, long count, long ph, long pw, float scale, long sampling,
                                    int aligned, long c0, long c1, float *gin) {
    (void)n;
    planar(gout, h, w, c, rois, index, count, ph, pw, scale, sampling, aligned, c0, c1, gin, 1);
}
