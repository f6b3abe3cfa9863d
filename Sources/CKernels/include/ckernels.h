#ifndef ATTNZOO_CKERNELS_H
#define ATTNZOO_CKERNELS_H
#include <stdint.h>
/// An inference convolution's per-output-channel epilogue, applied to the finished sum (bias
/// included): y = scale[o]·y + shift[o] (+ residual, laid out as the output of the call: the same
/// offset from its base) and then max(0, y) when relu (NaN stays NaN). o counts the call's own rows
/// or output channels from 0.
typedef struct azoo_epilogue {
    const float *scale;
    const float *shift;
    const float *residual;
    int relu;
} azoo_epilogue;
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

/// Copies `planes` planes of h × w from src into dst, planes `stride` floats apart, each as hp × wp
/// (h + top ≤ hp, w + left ≤ wp) with the plane at (top, left) and zeros everywhere else up to
/// the next plane.
void azoo_pad_planes(const float *src, long planes, long h, long w, long top, long left, long hp, long wp, long stride,
                     float *dst);
/// Packs one group's convolution weights for azoo_conv2d_s1: element (o, i, t) of the source is
/// w[o·ostride + i·istride + t] (t reversed when flip is non-zero). Output channels go in blocks of
/// 8 while 8 remain, then 4, 2, 1; the block starting at channel o is at dst + o·nin·taps and holds
/// [i][t][channel in block]. dst holds nout·nin·taps floats.
void azoo_conv2d_pack(const float *w, long nout, long nin, long taps, long ostride, long istride, int flip, float *dst);
/// Direct stride-1 convolution of one image and one group: output channels co0..<co1 of
/// `out` (co, oh, ow) = bias + Σ_c Σ_taps w[co][c][i][j] · in[c][oy + i·dh][ox + j·dw], with w packed
/// by azoo_conv2d_pack; co0 is a multiple of 8, co1 one too or the group's channel count.
/// `in` holds cin zero-padded planes of hp × wp (hp = oh + (kh − 1)·dh, wp = ow + (kw − 1)·dw)
/// `plane` ≥ hp·wp + 16 floats apart (the 16 after each plane are read, not used; zero them).
/// `bias` may be NULL.
/// epi (may be NULL; its residual must be NULL; AVX-512 CPUs only): scale, shift and ReLU of output channel o
/// (the group's own numbering) applied to the finished sums.
void azoo_conv2d_s1(const float *in, long cin, long plane, long hp, long wp, const float *wpack, long kh, long kw,
                    long dh, long dw, const float *bias, float *out, long oh, long ow, long co0, long co1,
                    const azoo_epilogue *epi);
/// Stride-2 planes for azoo_conv2d_s2: each of `planes` planes of h × w at src, zero padded by top
/// rows and left columns (zeros below and right as needed), as hp rows of its even padded columns
/// (ws of them) followed by hp rows of its odd ones, planes `stride` ≥ 2·hp·ws + 32 floats apart (the
/// rest zeroed).
void azoo_pad_planes_s2(const float *src, long planes, long h, long w, long top, long left, long hp, long ws, long stride,
                        float *dst);
/// Direct stride-2 convolution of one image and one group (dilation 1), as azoo_conv2d_s1 but over
/// the planes of azoo_pad_planes_s2: out[co][oy][ox] = bias + Σ_c Σ_taps w[co][c][i][j] ·
/// padded[c][2·oy + i][2·ox + j], with hp ≥ 2·(oh − 1) + kh and ws ≥ ow + (kw − 1) / 2.
void azoo_conv2d_s2(const float *in, long cin, long plane, long hp, long ws, const float *wpack, long kh, long kw,
                    const float *bias, float *out, long oh, long ow, long co0, long co1, const azoo_epilogue *epi);
/// Whether the direct kernels take output positions per row, in 16-column pieces (1), or over the
/// flattened padded plane, dropping the columns ≥ ow (0): whichever computes fewer vectors.
int azoo_conv2d_s1_rows(long oh, long ow, long wp);
/// Weight gradient over nimg images of output channels co0..<co1 of one group, written to gw
/// (co, cin, kh, kw) (overwritten): `in` as for azoo_conv2d_s1 with images istride floats apart;
/// g holds each output channel's gradient as oh rows of gwp floats with zeros in the columns ≥ ow
/// and after the last row, gwp = roundup(ow, 16) when azoo_conv2d_s1_rows(oh, ow, wp), else wp;
/// planes gplane ≥ roundup(oh·gwp, 16) floats apart, images gstride apart.
void azoo_conv2d_s1_wgrad(const float *in, long cin, long plane, long istride, long wp, const float *g, long gplane,
                          long gstride, long nimg, long oh, long ow, long kh, long kw, long dh, long dw, float *gw,
                          long co0, long co1);
/// Depthwise stride-1 convolution of one plane: y (oh × ow) = bias + Σ_taps k[t] · xp[oy + i·dh][ox + j·dw]
/// (k = wk, or wk reversed when flip is non-zero; with add non-zero the sum is added to y and bias
/// ignored). xp is a zero-padded plane with rows wp ≥ ow + (kw − 1)·dw floats apart, oh + (kh − 1)·dh
/// rows, and 16 readable floats after its last row (read, not used).
void azoo_dwconv2d_s1(const float *xp, long wp, const float *wk, long kh, long kw, long dh, long dw, int flip,
                      float bias, int add, float *y, long oh, long ow);
/// Weight gradient of azoo_dwconv2d_s1 for one plane: gw[t] += Σ gy[oy][ox] · xp[oy + i·dh][ox + j·dw]
/// over the oh × ow output gradient gy (xp as for azoo_dwconv2d_s1; taps ≤ 64).
void azoo_dwconv2d_s1_wgrad(const float *xp, long wp, const float *gy, long oh, long ow, long kh, long kw, long dh,
                            long dw, float *gw);
/// AVX-512 GEMM over a batch of column blocks (gemm.c). Whether this CPU runs it (AZOO_CONV_ISA caps it too).
int azoo_gemm_available(void);
/// 64-bit hash of the bits of n floats (hash.c).
uint64_t azoo_hash_floats(const float *p, long n);
/// Floats that azoo_gemm_pack_a writes for an m × k op(A).
long azoo_gemm_packed_a_size(long m, long k);
/// Packs row strips s0..<s1 (12 rows each, ⌈m/12⌉ in all) of α·op(A) (m × k; op(A)[i][p] = a[p·lda + i] when
/// trans, else a[i·lda + p]) into apack (azoo_gemm_packed_a_size floats). Workers may pack disjoint strips.
void azoo_gemm_pack_a(int trans, long m, long k, float alpha, const float *a, long lda, float *apack, long s0, long s1);
/// azoo_gemm_pack_a of op(A) = A whose depth runs over segments: A[i][p] = a[(p / seg)·segStride + i·lda + p % seg]
/// (the images of a product summed over them: a weight gradient's output gradients, seg = HW).
void azoo_gemm_pack_a_segments(long m, long k, float alpha, const float *a, long lda, long seg, long segStride, float *apack,
                               long s0, long s1);
/// C_n = op(A)·B_n + β·C_n (+ bias[i] on row i when bias is not NULL) for the virtual columns t0..<t1 of
/// the images' columns in a row (column t is image t / ncols, column t % ncols; ncols ≥ 16). B_n
/// (k × ncols, rows ldb apart) is at b + n·bstride, C_n (m × ncols, rows ldc apart) at c + n·cstride.
/// With transB (one image only) B_0 is Bᵀ of an ncols × k matrix with rows ldb apart; with kseg > 0 (at
/// least 16) too its rows are segments of kseg floats, segment i at bstride·i (depth p at
/// (p / kseg)·bstride + p % kseg of the row).
/// Only the rows of 12-row strips s0..<s1 (of ⌈m/12⌉). apack from azoo_gemm_pack_a (all strips).
/// Workers may run disjoint column ranges or disjoint strip ranges at once. epi (may be NULL): the
/// epilogue of row i, residual at the offset of c, applied to the finished sums.
void azoo_gemm_run(long m, long k, const float *apack, int transB, const float *b, long ldb, long bstride, long ncols,
                   float beta, const float *bias, float *c, long ldc, long cstride, long t0, long t1, long s0, long s1,
                   const azoo_epilogue *epi, long kseg);
/// Winograd F(2×2, 3×3) stride-1 convolution on AVX-512 (winograd.c). Whether this CPU runs it.
int azoo_wino_available(void);
/// Floats of the transformed, packed weights of one group (cout × cin 3×3 kernels).
long azoo_wino_u_size(long cout, long cin);
/// Transforms and packs one group's 3×3 kernels: element (o, i, tap) is w[o·ostride + i·istride + tap]
/// (taps reversed when flip is non-zero), into u (azoo_wino_u_size floats): the 12-output strips s0..<s1
/// of ⌈cout/12⌉ (workers may pack disjoint ranges).
void azoo_wino_pack_u(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0, long s1);
/// One image and group in parts: azoo_wino_pad writes the zero-padded planes (azoo_wino_plane_size floats
/// apart; workers may pad disjoint channel ranges) into a buffer of azoo_wino_pad_size floats whose last
/// 128 the caller zeroes; azoo_wino_f23 then computes the output tile-row blocks b0..<b1 (of
/// azoo_wino_block_count) with work space of azoo_wino_work_size floats (one per worker).
long azoo_wino_plane_size(long h, long w, long p);
long azoo_wino_pad_size(long cin, long h, long w, long p);
long azoo_wino_work_size(long cin, long cout, long h, long w, long p);
long azoo_wino_block_count(long cin, long cout, long h, long w, long p);
void azoo_wino_pad(const float *in, long cin, long h, long w, long p, float *pad);
/// out (cout planes of (h + 2p − 2) × (w + 2p − 2), contiguous) = bias + the 3×3 convolution of the
/// input (cin planes of h × w, padded by azoo_wino_pad) with kernels u from azoo_wino_pack_u, for the
/// output rows of blocks b0..<b1. bias may be NULL; epi (may be NULL) is applied after it, residual at
/// the offset of out.
void azoo_wino_f23(const float *pad, long cin, long h, long w, long p, const float *u, long cout, const float *bias,
                   float *out, float *work, long b0, long b1, const azoo_epilogue *epi);
/// Winograd F(4×4, 3×3) (winograd43.c): the same contract as the F(2×2, 3×3) functions above, 36
/// transform positions instead of 16 (azoo_wino_available tells whether this CPU runs it).
long azoo_wino43_u_size(long cout, long cin);
void azoo_wino43_pack_u(const float *w, long cout, long cin, long ostride, long istride, int flip, float *u, long s0,
                        long s1);
long azoo_wino43_plane_size(long h, long w, long p);
long azoo_wino43_pad_size(long cin, long h, long w, long p);
long azoo_wino43_work_size(long cin, long cout, long h, long w, long p);
long azoo_wino43_block_count(long cin, long cout, long h, long w, long p);
void azoo_wino43_pad(const float *in, long cin, long h, long w, long p, float *pad);
void azoo_wino_f43(const float *pad, long cin, long h, long w, long p, const float *u, long cout, const float *bias,
                   float *out, float *work, long b0, long b1, const azoo_epilogue *epi);
/// The weight gradient of F(2×2, 3×3) over a whole batch (winograd_wgrad.c): the transforms of every
/// image's tiles (azoo_wino_wgradb_transform per image img of nimg; scratch azoo_wino_wgradb_scratch_size
/// floats) into vt and gt (azoo_wino_wgradb_vt_size / _gt_size floats), then azoo_wino_wgradb_block per
/// range of 12-output strips os0..<os1: dU over all nimg·th·tw tiles (du: azoo_wino_wgradb_du_size floats
/// of scratch) and dW = Gᵀ·dU·G written to dw (element (o, c, tap) at o·ostride + c·istride + tap).
long azoo_wino_wgradb_vt_size(long cin, long nimg, long h, long w, long p);
long azoo_wino_wgradb_gt_size(long cout, long nimg, long h, long w, long p);
long azoo_wino_wgradb_scratch_size(long cin, long h, long w, long p);
long azoo_wino_wgradb_du_size(long cin);
void azoo_wino_wgradb_transform(const float *in, long cin, long h, long w, long p, const float *gy, long cout, long img,
                                long nimg, float *vt, float *gt, float *scratch);
void azoo_wino_wgradb_block(const float *vt, const float *gt, long cin, long cout, long ntiles, long os0, long os1, float *du,
                            float *dw, long ostride, long istride);
/// Winograd over a whole batch of small maps (winograd_batched.c; F(4×4, 3×3) when f43, else F(2×2, 3×3)):
/// V of every image's tiles (azoo_winob_v_size floats) filled by azoo_winob_input per (image img of nimg,
/// channels c0..<c1) — pad: (c1 − c0)·azoo_winob_plane_size + 128 floats of scratch, its last 128 zero —
/// then azoo_winob_block per range of 12-output strips s0..<s1 of the kernels w (element (o, i, tap) at
/// w[o·ostride + i·istride + tap], reversed when flip), kb strips at a time (ub: azoo_winob_u_size, mb:
/// azoo_winob_m_size floats of scratch), writing out (nimg, cout, oh, ow) with bias and the epilogue (its
/// residual relative to out). Each position's last strip of V must be zeroed before (columns past the tiles).
long azoo_winob_v_size(int f43, long cin, long nimg, long h, long w, long p);
long azoo_winob_u_size(int f43, long cin, long kb);
long azoo_winob_m_size(int f43, long nimg, long h, long w, long p, long kb);
long azoo_winob_plane_size(int f43, long h, long w, long p);
void azoo_winob_input(int f43, const float *in, long cin, long h, long w, long p, long c0, long c1, long img, long nimg,
                      float *pad, float *v);
void azoo_winob_block(int f43, const float *w, long ostride, long istride, int flip, long cin, long h, long wd, long p,
                      long cout, long nimg, const float *v, long s0, long s1, long kb, const float *bias, float *out, float *ub,
                      float *mb, const azoo_epilogue *epi);
/// Winograd weight gradient (winograd_wgrad.c). Floats of the transformed gradient dU of one group.
long azoo_wino_du_size(long cout, long cin);
/// Scratch floats for azoo_wino_wgrad_accumulate.
long azoo_wino_wgrad_scratch_size(long cin, long cout, long h, long w, long p);
/// du (azoo_wino_du_size floats, zeroed by the caller) += the transformed weight gradient of one image
/// and group: `in` cin contiguous planes of h × w (padding p), `gy` cout contiguous planes of the output
/// gradient ((h + 2p − 2) × (w + 2p − 2)).
void azoo_wino_wgrad_accumulate(const float *in, long cin, long h, long w, long p, const float *gy, long cout, float *du,
                                float *scratch);
/// For output channels o0..<o1: the dU of parts 1..<parts (each partStride floats after the previous)
/// added to part 0's at du, in part order, then dw[o·ostride + c·istride + tap] = the 3×3 kernel
/// gradient Gᵀ·dU·G of every (o, c). Disjoint channel ranges may run at the same time.
void azoo_wino_wgrad_finish(float *du, long parts, long partStride, long cout, long cin, float *dw, long ostride, long istride,
                            long o0, long o1);
/// r[o·inner + j] = x[o·inner + j] ⊕ s[o] (s[o] ⊕ x[…] when scalarFirst) for o < rows, j < inner, with ⊕ =
/// + − × ÷ for op 0…3 (rowwise.c). r may equal x.
void azoo_rows_scalar(const float *x, const float *s, float *r, long rows, long inner, int op, int scalarFirst);
/// The horizontal step of the 3×3 stride-2 max pool with indices (maxpool.c): v and r hold a row's
/// vertical maxima and their rows at positions 1 + j for column j, with (−∞, INT32_MAX) sentinels at 0
/// and after the last column and readable to position 2·ow + 48; y[ox] and ix[ox] (row·w + column) get
/// the window's maximum by PyTorch's rule (first in row-major order among equals).
void azoo_maxpool_h3s2(const float *v, const int32_t *r, long ow, int32_t w, float *y, int32_t *ix);
#endif
