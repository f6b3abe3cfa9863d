// The horizontal step of ResNet's stem pool with indices (Kernels/Pool2d.swift, maxPool3x3Stride2):
// per output column ox the max of columns 2·ox − 1, 2·ox, 2·ox + 1 of a row of vertical maxima,
// with PyTorch's tie rule (an equal value from a smaller row wins; columns in order). Sixteen
// outputs per step: the stride-2 columns are split into even and odd lanes by two-source
// permutes and the choice is three masked compares, where the Swift loop compiled to a scalar
// branch per window.
#include "conv_vec.h"
#include "ckernels.h"
#include <stdint.h>

static void h3s2_generic(const float *v, const int32_t *r, long ow, int32_t w, float *y, int32_t *ix) {
    for (long ox = 0; ox < ow; ox++) {
        const long c0 = 2 * ox;   // padded position of column 2·ox − 1
        float best = v[c0];
        int32_t br = r[c0], bc = (int32_t)(c0 - 1);
        for (int d = 1; d <= 2; d++) {
            const float x = v[c0 + d];
            const int32_t rr = r[c0 + d];
            if (x > best || (x == best && rr < br)) { best = x; br = rr; bc = (int32_t)(c0 + d - 1); }
        }
        y[ox] = best;
        ix[ox] = br * w + bc;
    }
}

#if CONV_X86
static AVX512 void h3s2_avx512(const float *v, const int32_t *r, long ow, int32_t w, float *y, int32_t *ix) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i lane2 = _mm512_add_epi32(even, _mm512_set1_epi32(-1));   // column 2·i − 1 for lane i
    const __m512i vw = _mm512_set1_epi32(w);
    for (long ox = 0; ox < ow; ox += 16) {
        const long n = ow - ox < 16 ? ow - ox : 16;
        const __mmask16 m = (__mmask16)(n == 16 ? 0xffff : (1u << n) - 1);
        const long p = 2 * ox;
        const __m512 lo = _mm512_loadu_ps(v + p), hi = _mm512_loadu_ps(v + p + 16), hi2 = _mm512_loadu_ps(v + p + 32);
        const __m512i rlo = _mm512_loadu_si512(r + p), rhi = _mm512_loadu_si512(r + p + 16), rhi2 = _mm512_loadu_si512(r + p + 32);
        // a: positions p + 2i, b: p + 2i + 1, c: p + 2i + 2 (the even lanes of hi…hi2 shifted by one pair).
        const __m512 a = _mm512_permutex2var_ps(lo, even, hi), b = _mm512_permutex2var_ps(lo, odd, hi);
        const __m512i ra = _mm512_permutex2var_epi32(rlo, even, rhi), rb = _mm512_permutex2var_epi32(rlo, odd, rhi);
        const __m512i next = _mm512_add_epi32(even, _mm512_set1_epi32(2));
        const __m512 c = _mm512_permutex2var_ps(lo, next, hi);
        const __m512i rc = _mm512_permutex2var_epi32(rlo, next, rhi);
        // Lane 15's c is position p + 32: the first of hi2.
        const __m512 cc = _mm512_mask_broadcastss_ps(c, (__mmask16)0x8000, _mm512_castps512_ps128(hi2));
        const __m512i rcc = _mm512_mask_broadcastd_epi32(rc, (__mmask16)0x8000, _mm512_castsi512_si128(rhi2));
        __m512 best = a;
        __m512i br = ra, bc = _mm512_add_epi32(lane2, _mm512_set1_epi32((int32_t)p));
        __mmask16 t = _mm512_cmp_ps_mask(b, best, _CMP_GT_OQ)
                      | (_mm512_cmp_ps_mask(b, best, _CMP_EQ_OQ) & _mm512_cmplt_epi32_mask(rb, br));
        best = _mm512_mask_blend_ps(t, best, b);
        br = _mm512_mask_blend_epi32(t, br, rb);
        bc = _mm512_mask_add_epi32(bc, t, bc, _mm512_set1_epi32(1));
        const __m512i bc2 = _mm512_add_epi32(lane2, _mm512_set1_epi32((int32_t)p + 2));
        t = _mm512_cmp_ps_mask(cc, best, _CMP_GT_OQ) | (_mm512_cmp_ps_mask(cc, best, _CMP_EQ_OQ) & _mm512_cmplt_epi32_mask(rcc, br));
        best = _mm512_mask_blend_ps(t, best, cc);
        br = _mm512_mask_blend_epi32(t, br, rcc);
        bc = _mm512_mask_blend_epi32(t, bc, bc2);
        _mm512_mask_storeu_ps(y + ox, m, best);
        _mm512_mask_storeu_epi32(ix + ox, m, _mm512_add_epi32(_mm512_mullo_epi32(br, vw), bc));
    }
}
#endif

void azoo_maxpool_h3s2(const float *v, const int32_t *r, long ow, int32_t w, float *y, int32_t *ix) {
#if CONV_X86
    if (conv_isa() >= 2) { h3s2_avx512(v, r, ow, w, y, ix); return; }
#endif
    h3s2_generic(v, r, ow, w, y, ix);
}
