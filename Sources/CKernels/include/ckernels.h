#ifndef ATTNZOO_CKERNELS_H
#define ATTNZOO_CKERNELS_H
/// Vectorised element-wise transcendental loops (AVX2/FMA when the CPU has them, chosen at
/// run time; portable C otherwise). n elements from x into y (y may equal x).
void azoo_exp(const float *x, float *y, long n);
void azoo_sigmoid(const float *x, float *y, long n);
void azoo_tanh(const float *x, float *y, long n);
void azoo_silu(const float *x, float *y, long n);
/// y = exp(x − shift); returns Σ y (for softmax rows).
float azoo_exp_shift_sum(const float *x, float *y, long n, float shift);
void azoo_relu(const float *x, float *y, long n);
/// GELU (erf form) x·Φ(x); when slope is not NULL also writes Φ(x) + x·φ(x).
void azoo_gelu(const float *x, float *y, float *slope, long n);
void azoo_relu_backward(const float *g, const float *out, float *dx, long n);

/// Direct stride-1 convolution of one image and one group: output channels co0..<co1 of
/// `out` (co, oh, ow) = bias + Σ_c Σ_taps w[co][c][i][j] · in[c][oy + i·dh][ox + j·dw].
/// `in` holds cin zero-padded planes of hp × wp with hp = oh + (kh − 1)·dh and
/// wp ≥ roundup(ow, 16) + (kw − 1)·dw (whole 16-column tiles are read). `bias` may be NULL.
void azoo_conv2d_s1(const float *in, long cin, long hp, long wp, const float *w, long kh, long kw, long dh, long dw,
                    const float *bias, float *out, long oh, long ow, long co0, long co1);
/// Adds one image's weight gradient of output channels co0..<co1 to gw (co, cin, kh, kw):
/// g is (co, oh, gwp) with rows zero-padded to gwp (a multiple of 8), `in` as above with
/// wp ≥ gwp + (kw − 1)·dw.
void azoo_conv2d_s1_wgrad(const float *in, long cin, long hp, long wp, const float *g, long gwp, long oh, long ow,
                          long kh, long kw, long dh, long dw, float *gw, long co0, long co1);
#endif
