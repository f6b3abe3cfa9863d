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
// Full 16-lane vectors with plain loads and stores, one masked tail per row, the operation chosen
// once outside the loops: clang compiles the generic body above (a mask and an op switch per
// vector) to masked moves throughout, 1.6× slower on these 49-float rows (mul_bcast 50×512×7×7:
// 0.13 → 0.08 ms on one core, PyTorch 0.105).
#define ROWS512(EXPR)                                                                                            \
    for (long o = 0; o < rows; o++) {                                                                           \
        const float *xr = x + o * inner;                                                                        \
        float *rr = r + o * inner;                                                                              \
        const __m512 sv = _mm512_set1_ps(s[o]);                                                                 \
        long j = 0;                                                                                             \
        for (; j + 16 <= inner; j += 16) {                                                                      \
            const __m512 xv = _mm512_loadu_ps(xr + j);                                                          \
            _mm512_storeu_ps(rr + j, EXPR);                                                                     \
        }                                                                                                       \
        if (j < inner) {                                                                                        \
            const __mmask16 m = (__mmask16)((1u << (inner - j)) - 1);                                           \
            const __m512 xv = _mm512_maskz_loadu_ps(m, xr + j);                                                 \
            _mm512_mask_storeu_ps(rr + j, m, EXPR);                                                             \
        }                                                                                                       \
    }

static AVX512 void rows512(const float *x, const float *s, float *r, long rows, long inner, int op, int scalarFirst) {
    switch (op) {
    case 0: ROWS512(_mm512_add_ps(xv, sv)) break;
    case 1: if (scalarFirst) { ROWS512(_mm512_sub_ps(sv, xv)) } else { ROWS512(_mm512_sub_ps(xv, sv)) } break;
    case 2: ROWS512(_mm512_mul_ps(xv, sv)) break;
    default: if (scalarFirst) { ROWS512(_mm512_div_ps(sv, xv)) } else { ROWS512(_mm512_div_ps(xv, sv)) } break;
    }
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
