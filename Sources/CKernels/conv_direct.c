// Direct stride-1 convolution over zero-padded planes, for the shapes where im2col + GEMM is
// poor: few output channels per group (GEMM with a short M dimension reads a column matrix k·k
// times the size of the input) and many small groups.
//
// Output positions are 16-lane vectors of the padded plane (position oy·wp + ox): either per
// row (16-column pieces of each output row) or over the flattened plane, where a vector may run
// across rows and the columns ox ≥ ow it computes are dropped; whichever computes fewer vectors
// (e.g. 14 wide: 16 per row either way; 28 wide: 32 per row against 30 flattened).
// Register tiles are cb output channels × nv vectors, over input channels and taps, with the
// weights packed so that the cb weights of one (channel, tap) are adjacent (azoo_conv2d_pack).
// AVX-512 (32 registers): 8 channels × 3 vectors = 24 accumulators; AVX2 and portable C take
// 4 channels × 1 vector (8 ymm accumulators). The variant is chosen at run time.
#include "ckernels.h"
#include "conv_vec.h"

INLINE void pack_block(const float *w, long nin, long taps, long ostride, long istride, int flip, float *d, const int bs) {
    for (long c = 0; c < nin; c++) {
        const float *s = w + c * istride;
        for (long t = 0; t < taps; t++) {
            const long tt = flip ? taps - 1 - t : t;
            for (int q = 0; q < bs; q++) d[q] = s[q * ostride + tt];
            d += bs;
        }
    }
}

void azoo_conv2d_pack(const float *w, long nout, long nin, long taps, long ostride, long istride, int flip, float *dst) {
    for (long o0 = 0; o0 < nout;) {
        const long bs = conv_block(nout - o0);
        const float *s = w + o0 * ostride;
        float *d = dst + o0 * nin * taps;
        if (bs == 8) pack_block(s, nin, taps, ostride, istride, flip, d, 8);
        else if (bs == 4) pack_block(s, nin, taps, ostride, istride, flip, d, 4);
        else if (bs == 2) pack_block(s, nin, taps, ostride, istride, flip, d, 2);
        else pack_block(s, nin, taps, ostride, istride, flip, d, 1);
        o0 += bs;
    }
}

int azoo_conv2d_s1_rows(long oh, long ow, long wp) {
    return oh * ((ow + 15) / 16) <= ((oh - 1) * wp + ow + 15) / 16;
}

typedef struct {
    const float *in;
    long cin, plane, wp, kh, kw, dh, dw, oh, ow;
    long vpr;  // vectors per output row (row mode), 0 in flat mode
    const azoo_epilogue *epi;  // applied to the finished sums (NULL: none; never a residual)
    long vrow;  // floats between the inputs of consecutive output rows (wp; stride 2: two rows, 2·wp)
    long half;  // stride 2: floats from a plane's even columns to its odd ones (0 for stride 1)
} fwd_geo;

INLINE long vec_start(const fwd_geo *g, long v) {
    return g->vpr ? (v / g->vpr) * g->vrow + (v % g->vpr) * 16 : v * 16;
}

/// Offset of kernel column j from an output position's input: j·dw, or with stride 2 over
/// de-interleaved planes (even columns, then odd ones) column j / 2 of the even or odd part.
INLINE long tap_col(const fwd_geo *g, long j, const int S2) { return S2 ? (j & 1) * g->half + (j >> 1) : j * g->dw; }

// Writes the valid lanes of output vector v of one channel plane (oh × ow).
INLINE void store_vec(const fwd_geo *g, float *plane, long v, v16 x, const int masked) {
    if (g->vpr) {
        const long oy = v / g->vpr, ox = (v % g->vpr) * 16, n = g->ow - ox;
        float *d = plane + oy * g->ow + ox;
        if (n >= 16) st16(d, x);
        else st16_lanes(d, x, 0, n, masked);
        return;
    }
    const long p = v * 16;
    long oy = p / g->wp, ox = p % g->wp, l = 0;
    if (ox + 16 <= g->ow) { st16(plane + oy * g->ow + ox, x); return; }
    while (l < 16 && oy < g->oh) {
        const long seg = g->wp - ox < 16 - l ? g->wp - ox : 16 - l, m = seg < g->ow - ox ? seg : g->ow - ox;
        if (m > 0) st16_lanes(plane + oy * g->ow + ox - l, x, l, l + m, masked);
        l += seg; oy++; ox = 0;
    }
}

#if CONV_X86
/// The epilogue (conv_vec.h; no residual) of channel o on n finished sums at r, n a multiple of 16.
static AVX512 __attribute__((noinline)) void epilogue_rows512(float *r, long n, const azoo_epilogue *e, long o) {
    for (long i = 0; i < n; i += 16) _mm512_storeu_ps(r + i, epilogue512(_mm512_loadu_ps(r + i), e, o, r + i, 0, 0xffff));
}
#endif

// One tile: cb channels (lanes lane0.. of a packed block of bs) × nv vectors from v0.
// KH/KW non-zero fix the kernel extent at compile time (unrolled tap loops).
INLINE void fwd_tile(const fwd_geo *g, const float *wb, long bs, const float *bias, float *out, long v0,
                     const int cb, const int nv, const long KH, const long KW, const int masked, const long ch, const int S2) {
    const long kh = KH ? KH : g->kh, kw = KW ? KW : g->kw, rstep = g->dh * g->wp;
    const float *base[4];
    for (int k = 0; k < nv; k++) base[k] = g->in + vec_start(g, v0 + k);
    v16 acc[8][4];
    for (int q = 0; q < cb; q++) {
        const float b = bias ? bias[q] : 0;
        for (int k = 0; k < nv; k++) acc[q][k] = b;
    }
    const float *wq = wb;
    for (long c = 0; c < g->cin; c++) {
        const long co = c * g->plane;
        for (long i = 0; i < kh; i++) {
            const long ro = co + i * rstep;
            for (long j = 0; j < kw; j++) {
                v16 x[4];
                for (int k = 0; k < nv; k++) x[k] = ld16(base[k] + ro + tap_col(g, j, S2));
                for (int q = 0; q < cb; q++) {
                    const float s = wq[q];
                    for (int k = 0; k < nv; k++) acc[q][k] += x[k] * s;
                }
                wq += bs;
            }
        }
    }
    // Through memory: indexing the accumulators in the store loop would keep them in memory.
    float res[8 * 4 * 16];
    for (int q = 0; q < cb; q++)
        for (int k = 0; k < nv; k++) st16(res + (q * nv + k) * 16, acc[q][k]);
#if CONV_X86
    if (g->epi)   // AVX-512 only (azoo_conv2d_s1 checks), channel ch + q
        for (int q = 0; q < cb; q++) epilogue_rows512(res + q * nv * 16, nv * 16, g->epi, ch + q);
#endif
    const long pl = g->oh * g->ow;
    for (int q = 0; q < cb; q++)
        for (int k = 0; k < nv; k++) store_vec(g, out + q * pl, v0 + k, ld16(res + (q * nv + k) * 16), masked);
}

#define FWD_NV(cb, nvmax, KH, KW)                                                                         \
    for (long v0 = 0; v0 < nvec;) {                                                                       \
        const long r = nvec - v0;                                                                         \
        if (r >= nvmax) { fwd_tile(g, wb, bs, bq, oq, v0, cb, nvmax, KH, KW, masked, ch, S2); v0 += nvmax; }       \
        else if (nvmax > 2 && r == 2) { fwd_tile(g, wb, bs, bq, oq, v0, cb, 2, KH, KW, masked, ch, S2); v0 += 2; } \
        else { fwd_tile(g, wb, bs, bq, oq, v0, cb, 1, KH, KW, masked, ch, S2); v0 += 1; }                        \
    }

// Output channels co0..<co1 of one image and group; co0 is a multiple of 8 and co1 one too or
// the group's end, so the blocks here are the packing's blocks.
INLINE void fwd_body(const fwd_geo *g, const float *wpack, const float *bias, float *out, long nvec, long co0, long co1,
                     const int maxcb, const int nvmax, const long KH, const long KW, const int masked, const int S2) {
    const long taps = g->kh * g->kw, pl = g->oh * g->ow;
    for (long co = co0; co < co1;) {
        const long bs = conv_block(co1 - co);
        for (long l0 = 0; l0 < bs; l0 += (bs < maxcb ? bs : maxcb)) {
            const float *wb = wpack + co * g->cin * taps + l0;
            const float *bq = bias ? bias + co + l0 : 0;
            float *oq = out + (co + l0) * pl;
            const long ch = co + l0;
            if (maxcb >= 8 && bs == 8) { FWD_NV(8, nvmax, KH, KW) }
            else if (bs >= 4) { FWD_NV(4, nvmax, KH, KW) }
            else if (bs == 2) { FWD_NV(2, nvmax, KH, KW) }
            else { FWD_NV(1, nvmax, KH, KW) }
        }
        co += bs;
    }
}

#define FWD_SHAPES(maxcb, nvmax, masked, S2)                                                                         \
    if (g->kh == 3 && g->kw == 3) fwd_body(g, w, bias, out, nvec, co0, co1, maxcb, nvmax, 3, 3, masked, S2);         \
    else if (g->kh == 7 && g->kw == 7) fwd_body(g, w, bias, out, nvec, co0, co1, maxcb, nvmax, 7, 7, masked, S2);    \
    else fwd_body(g, w, bias, out, nvec, co0, co1, maxcb, nvmax, 0, 0, masked, S2);

#if CONV_X86
static AVX512 void fwd_avx512(const fwd_geo *g, const float *w, const float *bias, float *out, long nvec, long co0, long co1) {
    FWD_SHAPES(8, 3, 1, 0)
}
static AVX512 void fwd_s2_avx512(const fwd_geo *g, const float *w, const float *bias, float *out, long nvec, long co0, long co1) {
    FWD_SHAPES(8, 3, 1, 1)
}
static AVX2 void fwd_avx2(const fwd_geo *g, const float *w, const float *bias, float *out, long nvec, long co0, long co1) {
    FWD_SHAPES(4, 1, 0, 0)
}
static AVX2 void fwd_s2_avx2(const fwd_geo *g, const float *w, const float *bias, float *out, long nvec, long co0, long co1) {
    FWD_SHAPES(4, 1, 0, 1)
}
#endif
static void fwd_generic(const fwd_geo *g, const float *w, const float *bias, float *out, long nvec, long co0, long co1) {
    FWD_SHAPES(4, 1, 0, 0)
}
static void fwd_s2_generic(const fwd_geo *g, const float *w, const float *bias, float *out, long nvec, long co0, long co1) {
    FWD_SHAPES(4, 1, 0, 1)
}

/// Runs this CPU's variant, stride 1 or (s2) stride 2 over azoo_pad_planes_s2's planes, after checking
/// the epilogue's contract: no residual, AVX-512 only.
static void fwd_run(const fwd_geo *g, int s2, const float *wpack, const float *bias, float *out, long nvec, long co0,
                    long co1) {
#if CONV_X86
    if (g->epi && (g->epi->residual || conv_isa() < 2)) abort();
    switch (conv_isa()) {
    case 2: (s2 ? fwd_s2_avx512 : fwd_avx512)(g, wpack, bias, out, nvec, co0, co1); return;
    case 1: (s2 ? fwd_s2_avx2 : fwd_avx2)(g, wpack, bias, out, nvec, co0, co1); return;
    default: break;
    }
#else
    if (g->epi) abort();
#endif
    (s2 ? fwd_s2_generic : fwd_generic)(g, wpack, bias, out, nvec, co0, co1);
}

void azoo_conv2d_s1(const float *in, long cin, long plane, long hp, long wp, const float *wpack, long kh, long kw,
                    long dh, long dw, const float *bias, float *out, long oh, long ow, long co0, long co1,
                    const azoo_epilogue *epi) {
    (void)hp;
    fwd_geo geo = {in, cin, plane, wp, kh, kw, dh, dw, oh, ow, (ow + 15) / 16, epi, wp, 0};
    if (!azoo_conv2d_s1_rows(oh, ow, wp)) geo.vpr = 0;
    const long nvec = geo.vpr ? oh * geo.vpr : ((oh - 1) * wp + ow + 15) / 16;
    fwd_run(&geo, 0, wpack, bias, out, nvec, co0, co1);
}

void azoo_conv2d_s2(const float *in, long cin, long plane, long hp, long ws, const float *wpack, long kh, long kw,
                    const float *bias, float *out, long oh, long ow, long co0, long co1, const azoo_epilogue *epi) {
    const fwd_geo geo = {in, cin, plane, ws, kh, kw, 1, 1, oh, ow, (ow + 15) / 16, epi, 2 * ws, hp * ws};
    fwd_run(&geo, 1, wpack, bias, out, oh * geo.vpr, co0, co1);
}
