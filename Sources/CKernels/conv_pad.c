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
