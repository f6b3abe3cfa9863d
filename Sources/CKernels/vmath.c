// Element-wise exp-based loops written so that clang vectorises them: Cephes-style range
// reduction (n = round(x/ln2) by the 1.5·2^23 trick, r = x − n·ln2 in two parts), degree-6
// polynomial, 2^n through the exponent bits. Relative error below 1e-7; inputs are clamped to
// [−87.34, 88.72] (so e^x of a very negative x is ~1e−38, not 0) and NaN is not propagated.
#include "ckernels.h"
#include <stdint.h>
#include <string.h>

// Element-wise maps: y[i] depends on x[i] only, so in-place calls (y == x) vectorise too
// (without this, the overlap check sends them to the scalar loop).
#define VEC _Pragma("clang loop vectorize(assume_safety)")

#define EXP_BODY                                                            \
    float v = x > 88.7228f ? 88.7228f : (x < -87.3365f ? -87.3365f : x);   \
    float t = v * 1.44269504088896341f + 12582912.0f;                       \
    float fx = t - 12582912.0f;                                             \
    v = v - fx * 0.693359375f;                                              \
    v = v + fx * 2.12194440e-4f;                                            \
    float z = v * v;                                                        \
    float p = 1.9875691500e-4f;                                             \
    p = p * v + 1.3981999507e-3f;                                           \
    p = p * v + 8.3334519073e-3f;                                           \
    p = p * v + 4.1665795894e-2f;                                           \
    p = p * v + 1.6666665459e-1f;                                           \
    p = p * v + 5.0000001201e-1f;                                           \
    p = p * z + v + 1.0f;                                                   \
    uint32_t tb; memcpy(&tb, &t, 4);                                        \
    uint32_t bits = (tb - 0x4B400000u + 127u) << 23;                        \
    float scale; memcpy(&scale, &bits, 4);                                  \
    return p * scale;

static inline float e_generic(float x) { EXP_BODY }

#if defined(__x86_64__) && defined(__clang__)
#define AVX2 __attribute__((target("avx2,fma")))
/* 512-bit vectors where the CPU has AVX-512 (clang otherwise keeps 256-bit ones): half the
   instructions per element; sigmoid on 1.25M floats 0.52 → 0.35 ms on one Zen 4 core, same bits. */
#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512vl,avx512dq"), min_vector_width(512)))
static inline AVX2 float e_avx2(float x) { EXP_BODY }
static inline AVX512 float e_avx512(float x) { EXP_BODY }
#define DEFINE_LOOPS(suffix, attr, EXP)                                                         \
    static attr void exp_##suffix(const float *x, float *y, long n) {                            \
        VEC for (long i = 0; i < n; i++) y[i] = EXP(x[i]);                                           \
    }                                                                                            \
    static attr void sigmoid_##suffix(const float *x, float *y, long n) {                        \
        VEC for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + EXP(-x[i]));                          \
    }                                                                                            \
    static attr void tanh_##suffix(const float *x, float *y, long n) {                           \
        VEC for (long i = 0; i < n; i++) {                                                           \
            float a = x[i] < 0 ? -x[i] : x[i];                                                   \
            float r = 1.0f - 2.0f / (EXP(2.0f * a) + 1.0f);                                      \
            y[i] = x[i] < 0 ? -r : r;                                                            \
        }                                                                                        \
    }                                                                                            \
    static attr void silu_##suffix(const float *x, float *y, long n) {                           \
        VEC for (long i = 0; i < n; i++) y[i] = x[i] / (1.0f + EXP(-x[i]));                          \
    }                                                                                            \
    static attr void gelu_##suffix(const float *x, float *y, float *d, long n) {                \
        /* x·Φ(x) with Φ from Abramowitz–Stegun 7.1.26 (|erf error| ≤ 1.5e-7), sharing e^{−x²/2} \
           with φ(x) for the slope Φ(x) + x·φ(x) (written to d when d is not NULL). */          \
        if (d) {                                                                                 \
            VEC for (long i = 0; i < n; i++) {                                                   \
                float v = x[i], a = v < 0 ? -v : v, e = EXP(-0.5f * v * v);                      \
                float t = 1.0f / (1.0f + 0.2316419f * a);                                        \
                float tail = 0.5f * e * t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))); \
                float cdf = v >= 0 ? 1.0f - tail : tail;                                         \
                y[i] = v * cdf; d[i] = cdf + v * 0.3989422804f * e;                              \
            }                                                                                    \
        } else {                                                                                 \
            VEC for (long i = 0; i < n; i++) {                                                   \
                float v = x[i], a = v < 0 ? -v : v, e = EXP(-0.5f * v * v);                      \
                float t = 1.0f / (1.0f + 0.2316419f * a);                                        \
                float tail = 0.5f * e * t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))); \
                y[i] = v * (v >= 0 ? 1.0f - tail : tail);                                        \
            }                                                                                    \
        }                                                                                        \
    }                                                                                            \
    static attr float expsum_##suffix(const float *x, float *y, long n, float s) {               \
        float total = 0;                                                                         \
        VEC for (long i = 0; i < n; i++) { y[i] = EXP(x[i] - s); }                                   \
        VEC for (long i = 0; i < n; i++) total += y[i];                                              \
        return total;                                                                            \
    }
DEFINE_LOOPS(avx512, AVX512, e_avx512)
DEFINE_LOOPS(avx2, AVX2, e_avx2)
DEFINE_LOOPS(generic, , e_generic)

/* 2: AVX-512 F/VL/DQ, 1: AVX2 + FMA, 0: neither. */
static int vector_level(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) ? 2
               : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    }
    return cached;
}
#define DISPATCH(name, ...) \
    (vector_level() == 2 ? name##_avx512(__VA_ARGS__) : vector_level() == 1 ? name##_avx2(__VA_ARGS__) : name##_generic(__VA_ARGS__))
#else
#define DEFINE_LOOPS(suffix, attr, EXP)                                                         \
    static void exp_##suffix(const float *x, float *y, long n) { VEC for (long i = 0; i < n; i++) y[i] = EXP(x[i]); } \
    static void sigmoid_##suffix(const float *x, float *y, long n) { VEC for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + EXP(-x[i])); } \
    static void tanh_##suffix(const float *x, float *y, long n) { VEC for (long i = 0; i < n; i++) { float a = x[i] < 0 ? -x[i] : x[i]; float r = 1.0f - 2.0f / (EXP(2.0f * a) + 1.0f); y[i] = x[i] < 0 ? -r : r; } } \
    static void silu_##suffix(const float *x, float *y, long n) { VEC for (long i = 0; i < n; i++) y[i] = x[i] / (1.0f + EXP(-x[i])); } \
    static float expsum_##suffix(const float *x, float *y, long n, float s) { float t = 0; VEC for (long i = 0; i < n; i++) { y[i] = EXP(x[i] - s); t += y[i]; } return t; } \
    static void gelu_##suffix(const float *x, float *y, float *d, long n) { for (long i = 0; i < n; i++) { float v = x[i], a = v < 0 ? -v : v, e = EXP(-0.5f * v * v); float t = 1.0f / (1.0f + 0.2316419f * a); float tail = 0.5f * e * t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))); float cdf = v >= 0 ? 1.0f - tail : tail; y[i] = v * cdf; if (d) d[i] = cdf + v * 0.3989422804f * e; } }
DEFINE_LOOPS(generic, , e_generic)
#define DISPATCH(name, ...) name##_generic(__VA_ARGS__)
#endif

void azoo_exp(const float *x, float *y, long n) { DISPATCH(exp, x, y, n); }
void azoo_sigmoid(const float *x, float *y, long n) { DISPATCH(sigmoid, x, y, n); }
void azoo_tanh(const float *x, float *y, long n) { DISPATCH(tanh, x, y, n); }
void azoo_silu(const float *x, float *y, long n) { DISPATCH(silu, x, y, n); }
float azoo_exp_shift_sum(const float *x, float *y, long n, float shift) { return DISPATCH(expsum, x, y, n, shift); }
void azoo_gelu(const float *x, float *y, float *slope, long n) { DISPATCH(gelu, x, y, slope, n); }

/* ReLU that propagates NaN (as PyTorch's), and its pullback `dx = out <= 0 ? 0 : g` (PyTorch's
   threshold_backward: a NaN output passes the gradient). Memory-bound plain loops, compiled per
   vector level like the maps above. */
#define RELU_LOOPS(suffix, attr)                                                                  \
    static attr void relu_##suffix(const float *x, float *y, long n) {                            \
        VEC for (long i = 0; i < n; i++) { float v = x[i]; y[i] = (v > 0.0f || v != v) ? v : 0.0f; } \
    }                                                                                             \
    /* g is loaded unconditionally: a conditional load compiles to a per-lane masked gather. */   \
    static attr void relu_backward_##suffix(const float *g, const float *out, float *dx, long n) {\
        VEC for (long i = 0; i < n; i++) { float gv = g[i]; dx[i] = out[i] <= 0.0f ? 0.0f : gv; }   \
    }
#if defined(__x86_64__) && defined(__clang__)
RELU_LOOPS(avx512, AVX512)
RELU_LOOPS(avx2, AVX2)
#endif
RELU_LOOPS(generic, )

void azoo_relu(const float *x, float *y, long n) { DISPATCH(relu, x, y, n); }
void azoo_relu_backward(const float *g, const float *out, float *dx, long n) { DISPATCH(relu_backward, g, out, dx, n); }
