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
#endif
