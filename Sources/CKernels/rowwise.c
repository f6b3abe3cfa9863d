// Row-broadcast binary ops: every row of a (rows × inner) operand combined with its row's scalar
// (the (N·C, H·W) ⊙ (N·C, 1) gate of the attention modules), one call for all rows with masked
// AVX-512 tails instead of a Swift loop per row (7×7 planes are 49 floats).
#include "conv_vec.h"
#include "ckernels.h"

#define ROWS_BODY(LOAD, STORE, STEP, VEC, SPLAT)                                                                 \
    for (long o = 0; o < rows; o++) {                                                                           \
        const float *xr = x + o * inner;                                                                        \
        float *rr = r + o * inner;                                                                              \
        const VEC sv = SPLAT(s[o]);                                                                             \
        for (long j = 0; j < inner; j += STEP) {                                                                \
            const long n = inner - j < STEP ? inner - j : STEP;                                                 \
            const VEC xv = LOAD(xr + j, n);                                                                     \
            VEC y;                                                                                              \
            switch (op) {                                                                                       \
            case 0: y = xv + sv; break;                                                                         \
            case 1: y = scalarFirst ? sv - xv : xv - sv; break;                                                 \
            case 2: y = xv * sv; break;                                                                         \
            default: y = scalarFirst ? sv / xv : xv / sv; break;                                                \
            }                                                                                                   \
            STORE(rr + j, y, n);                                                                                \
        }                                                                                                       \
    }

#if CONV_X86
static inline AVX512 v16 load512(const float *p, long n) {
    return (v16)_mm512_maskz_loadu_ps((__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1), p);
}
static inline AVX512 void store512(float *p, v16 v, long n) {
    _mm512_mask_storeu_ps(p, (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1), (__m512)v);
}
static inline AVX512 v16 splat512(float v) { return (v16)_mm512_set1_ps(v); }

static AVX512 void rows512(const float *x, const float *s, float *r, long rows, long inner, int op, int scalarFirst) {
    ROWS_BODY(load512, store512, 16, v16, splat512)
}
#endif

static inline float load1(const float *p, long n) { (void)n; return *p; }
static inline void store1(float *p, float v, long n) { (void)n; *p = v; }
static inline float splat1(float v) { return v; }

static void rows_generic(const float *x, const float *s, float *r, long rows, long inner, int op, int scalarFirst) {
    ROWS_BODY(load1, store1, 1, float, splat1)
}

void azoo_rows_scalar(const float *x, const float *s, float *r, long rows, long inner, int op, int scalarFirst) {
#if CONV_X86
    if (conv_isa() >= 2) { rows512(x, s, r, rows, inner, op, scalarFirst); return; }
#endif
    rows_generic(x, s, r, rows, inner, op, scalarFirst);
}
