// Zero-padded copies of planes for the direct convolution kernels, with vector moves instead of
// a libc call per row (rows of small maps are a few floats).
#include "ckernels.h"
#include "conv_vec.h"

INLINE void zero_run(float *d, long n, const int wide) {
    long x = 0;
    for (; x + 16 <= n; x += 16) st16(d + x, (v16)0);
    if (x < n) st16_lanes(d + x, (v16)0, 0, n - x, wide);
}

INLINE void copy_run(float *d, const float *s, long n, const int wide) {
    long x = 0;
    for (; x + 16 <= n; x += 16) st16(d + x, ld16(s + x));
#if CONV_X86
    if (wide && x < n) { copy_short512(d + x, s + x, n - x); return; }
#endif
    for (; x < n; x++) d[x] = s[x];
}

INLINE void pad_body(const float *src, long planes, long h, long w, long top, long left, long hp, long wp, long stride,
                     float *dst, const int wide) {
    (void)hp;
    for (long p = 0; p < planes; p++) {
        float *d = dst + p * stride;
        const float *s = src + p * h * w;
        zero_run(d, top * wp + left, wide);
        for (long y = 0; y < h; y++) {
            float *row = d + (y + top) * wp + left;
            copy_run(row, s + y * w, w, wide);
            // The right padding of this row and the left padding of the next are adjacent.
            if (y + 1 < h) zero_run(row + w, wp - w, wide);
        }
        const long end = (top + h - 1) * wp + left + w;
        zero_run(d + end, stride - end, wide);
    }
}

#if CONV_X86
static AVX512 void pad_avx512(const float *src, long planes, long h, long w, long top, long left, long hp, long wp,
                              long stride, float *dst) {
    pad_body(src, planes, h, w, top, left, hp, wp, stride, dst, 1);
}
#endif

void azoo_pad_planes(const float *src, long planes, long h, long w, long top, long left, long hp, long wp, long stride,
                     float *dst) {
#if CONV_X86
    if (conv_isa() == 2) { pad_avx512(src, planes, h, w, top, left, hp, wp, stride, dst); return; }
#endif
    pad_body(src, planes, h, w, top, left, hp, wp, stride, dst, 0);
}

// Stride-2 planes for azoo_conv2d_s2: the zero-padded plane's even columns, then its odd ones.
INLINE float padded_at(const float *s, long y, long c, long h, long w) {
    return y >= 0 && y < h && c >= 0 && c < w ? s[y * w + c] : 0;
}

#if CONV_X86
/// Columns [c0, c0 + 16) of a source row, zero outside [0, w) (masked lanes are not read).
static inline AVX512 __m512 row_piece512(const float *row, long c0, long w) {
    const long lo = c0 < 0 ? -c0 : 0, hi = w - c0 < 16 ? w - c0 : 16;
    if (hi <= lo) return _mm512_setzero_ps();
    const __mmask16 m = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
    return _mm512_maskz_loadu_ps(m, (const float *)((intptr_t)row + (intptr_t)c0 * (intptr_t)sizeof(float)));
}

static AVX512 void pad_s2_avx512(const float *src, long planes, long h, long w, long top, long left, long hp, long ws,
                                 long stride, float *dst) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (long p = 0; p < planes; p++) {
        float *e = dst + p * stride, *o = e + hp * ws;
        const float *s = src + p * h * w;
        for (long r = 0; r < hp; r++) {
            const long y = r - top;
            for (long j0 = 0; j0 < ws; j0 += 16) {
                const __mmask16 m = (__mmask16)(ws - j0 >= 16 ? 0xffff : (1u << (ws - j0)) - 1);
                __m512 ev = _mm512_setzero_ps(), ov = _mm512_setzero_ps();
                if (y >= 0 && y < h) {
                    const long c0 = 2 * j0 - left;
                    const __m512 a = row_piece512(s + y * w, c0, w), b = row_piece512(s + y * w, c0 + 16, w);
                    ev = _mm512_permutex2var_ps(a, even, b);
                    ov = _mm512_permutex2var_ps(a, odd, b);
                }
                _mm512_mask_storeu_ps(e + r * ws + j0, m, ev);
                _mm512_mask_storeu_ps(o + r * ws + j0, m, ov);
            }
        }
        for (long i = 2 * hp * ws; i < stride; i++) e[i] = 0;
    }
}
#endif

void azoo_pad_planes_s2(const float *src, long planes, long h, long w, long top, long left, long hp, long ws, long stride,
                        float *dst) {
#if CONV_X86
    if (conv_isa() == 2) { pad_s2_avx512(src, planes, h, w, top, left, hp, ws, stride, dst); return; }
#endif
    for (long p = 0; p < planes; p++) {
        float *e = dst + p * stride, *o = e + hp * ws;
        const float *s = src + p * h * w;
        for (long r = 0; r < hp; r++)
            for (long j = 0; j < ws; j++) {
                e[r * ws + j] = padded_at(s, r - top, 2 * j - left, h, w);
                o[r * ws + j] = padded_at(s, r - top, 2 * j + 1 - left, h, w);
            }
        for (long i = 2 * hp * ws; i < stride; i++) e[i] = 0;
    }
}
