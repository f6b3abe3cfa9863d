// Shared by the direct convolution kernels (conv_direct.c, conv_wgrad.c): 16-lane vectors,
// run-time instruction set choice, channel blocking.
#ifndef ATTNZOO_CONV_VEC_H
#define ATTNZOO_CONV_VEC_H
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "ckernels.h"

typedef float v16 __attribute__((ext_vector_type(16)));
typedef float v8 __attribute__((ext_vector_type(8)));
#define INLINE static inline __attribute__((always_inline))

INLINE v16 ld16(const float *p) { v16 v; memcpy(&v, p, sizeof v); return v; }
INLINE void st16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

/// Channel block sizes, shared by the packing and the kernels: 8 while 8 remain, then 4, 2, 1.
INLINE long conv_block(long left) { return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1; }

#if defined(__x86_64__) && defined(__clang__)
#define CONV_X86 1
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512vl")))
/// 2: AVX-512F/VL, 1: AVX2/FMA, 0: neither. AZOO_CONV_ISA=0 or 1 caps it (to test the fallbacks).
INLINE int conv_isa(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        int isa = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 2
                : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
        const char *cap = getenv("AZOO_CONV_ISA");
        if (cap && cap[0] >= '0' && cap[0] < '0' + isa) isa = cap[0] - '0';
        cached = isa;
    }
    return cached;
}
#include <immintrin.h>
// Vectors pass by pointer: a v16 argument of a function that may be called (not inlined) from
// code without AVX-512 would change the ABI.
/// Lanes [lo, hi) of *x to p[lo..<hi), nothing else touched (masked lanes do not fault).
static inline AVX512 void st16_lanes512(float *p, const v16 *x, long lo, long hi) {
    _mm512_mask_storeu_ps(p, (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1)), (__m512)*x);
}
/// x·s + t rounded as a product and then a sum, as the separate passes (and PyTorch's norm) round
/// it: CKernels builds with -ffp-contract=fast, under which the compiler fuses any product and sum
/// (pragmas included); instructions with embedded round-to-nearest stay as written.
static inline AVX512 __m512 mul_add_unfused512(__m512 x, __m512 s, __m512 t) {
    return _mm512_add_round_ps(_mm512_mul_round_ps(x, s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), t,
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
/// An azoo_epilogue on one vector of finished sums for output channel o, stored at d (mask m): the
/// residual is read at d + roff floats.
static inline AVX512 __m512 epilogue512(__m512 x, const azoo_epilogue *e, long o, const float *d, long roff, __mmask16 m) {
    x = mul_add_unfused512(x, _mm512_set1_ps(e->scale[o]), _mm512_set1_ps(e->shift[o]));
    if (e->residual) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, d + roff));
    if (e->relu) x = _mm512_max_ps(_mm512_setzero_ps(), x);   // max(0, NaN) is the second operand: NaN
    return x;
}
/// Floats from base to p (both in one address space; the residual's offset from the output).
static inline long float_offset(const float *p, const float *base) { return (long)(((intptr_t)p - (intptr_t)base) / (intptr_t)sizeof(float)); }
/// Copies n < 16 floats from s to d; nothing past s + n is read.
static inline AVX512 void copy_short512(float *d, const float *s, long n) {
    const __mmask16 m = (__mmask16)((1u << n) - 1);
    _mm512_mask_storeu_ps(d, m, _mm512_maskz_loadu_ps(m, s));
}
/// In-place 16 × 16 transpose of r[0..15] (row i, lane j) → (row j, lane i).
static inline AVX512 void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    // r[4q + m] now holds, in each 128-bit lane L, rows 4q..4q+3's column 4L + m (as 4 floats).
    for (int i = 0; i < 8; i++) {
        const int a = (i / 4) * 8 + i % 4, b = a + 4;
        t[a] = _mm512_shuffle_f32x4(r[a], r[b], 0x88);
        t[b] = _mm512_shuffle_f32x4(r[a], r[b], 0xdd);
    }
    for (int i = 0; i < 8; i++) {
        const int a = i, b = i + 8;
        r[a] = _mm512_shuffle_f32x4(t[a], t[b], 0x88);
        r[b] = _mm512_shuffle_f32x4(t[a], t[b], 0xdd);
    }
}

#else
#define CONV_X86 0
#endif

/// st16_lanes512 where `masked` (a constant: the AVX-512 variants), else through a buffer.
INLINE void st16_lanes(float *p, v16 x, long lo, long hi, const int masked) {
#if CONV_X86
    if (masked) { st16_lanes512(p, &x, lo, hi); return; }
#endif
    float tmp[16];
    st16(tmp, x);
    for (long l = lo; l < hi; l++) p[l] = tmp[l];
}
#endif
