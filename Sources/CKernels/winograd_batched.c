// Winograd convolutions over a whole batch of small maps (Kernels/Conv2d+WinogradBatched.swift), on
// F(2×2, 3×3) (winograd.c) or F(4×4, 3×3) (winograd43.c): the transformed input V of every image's tiles
// once (strips of 32 tiles, image i's from tile i·th·tw), then per range of 12-output strips, kb at a
// time: their kernels transformed into U, M_ξ = U_ξ·V_ξ on the GEMM's register tile, and the output
// transform into every image. The transform positions of U, V and M are a cache line more than their
// matrices apart, so that their streams of stores and loads, one per position, do not all fall in the
// same cache sets (at exact multiples the kernel transform of 1024 × 1024 took 17 ms instead of 4).
#include "ckernels.h"
#include "winograd_common.h"

#define XPAD 16

#if CONV_X86
static const wino_ops *ops(int f43) { return f43 ? &azoo_wino43_ops : &azoo_wino23_ops; }

/// Floats of one position's V: the tiles of nimg images in strips of 32, cin rows each.
static long vxi_of(const wino_ops *o, long cin, long nimg, long h, long w, long p) {
    const wgeo g = o->geo(h, w, p);
    return (nimg * g.th * g.tw + WNR - 1) / WNR * WNR * cin + XPAD;
}
#endif

long azoo_winob_v_size(int f43, long cin, long nimg, long h, long w, long p) {
#if CONV_X86
    return ops(f43)->positions * vxi_of(ops(f43), cin, nimg, h, w, p);
#else
    (void)f43; (void)cin; (void)nimg; (void)h; (void)w; (void)p;
    return 0;
#endif
}

long azoo_winob_u_size(int f43, long cin, long kb) {
#if CONV_X86
    return ops(f43)->positions * (kb * WMR * cin + XPAD);
#else
    (void)f43; (void)cin; (void)kb;
    return 0;
#endif
}

long azoo_winob_m_size(int f43, long nimg, long h, long w, long p, long kb) {
#if CONV_X86
    const wgeo g = ops(f43)->geo(h, w, p);
    return ops(f43)->positions * (kb * WMR * ((nimg * g.th * g.tw + WNR - 1) / WNR * WNR) + XPAD);
#else
    (void)f43; (void)nimg; (void)h; (void)w; (void)p; (void)kb;
    return 0;
#endif
}

long azoo_winob_plane_size(int f43, long h, long w, long p) {
#if CONV_X86
    return ops(f43)->geo(h, w, p).plane;
#else
    (void)f43; (void)h; (void)w; (void)p;
    return 0;
#endif
}

void azoo_winob_input(int f43, const float *in, long cin, long h, long w, long p, long c0, long c1, long img, long nimg,
                      float *pad, float *v) {
#if CONV_X86
    if (conv_isa() >= 2) {
        const wino_ops *o = ops(f43);
        const wgeo g = o->geo(h, w, p);
        azoo_pad_planes(in + c0 * h * w, c1 - c0, h, w, p, p, g.hp, g.wp, g.plane, pad);
        o->input(pad, g, cin, 0, g.th, img * g.th * g.tw, c0, c1, v, vxi_of(o, cin, nimg, h, w, p));
        return;
    }
#endif
    (void)f43; (void)in; (void)cin; (void)h; (void)w; (void)p; (void)c0; (void)c1; (void)img; (void)nimg; (void)pad; (void)v;
    abort();  // callers check azoo_wino_available()
}

void azoo_winob_block(int f43, const float *w, long ostride, long istride, int flip, long cin, long h, long wd, long p,
                      long cout, long nimg, const float *v, long s0, long s1, long kb, const float *bias, float *out, float *ub,
                      float *mb, const azoo_epilogue *epi) {
#if CONV_X86
    if (conv_isa() >= 2) {
        const wino_ops *o = ops(f43);
        const long roff = epi && epi->residual ? float_offset(epi->residual, out) : 0;
        const long oh = h + 2 * p - 2, ow = wd + 2 * p - 2;
        const wgeo g = o->geo(h, wd, p);
        const long per = g.th * g.tw, strips = (nimg * per + WNR - 1) / WNR, ldm = strips * WNR;
        const long vxi = vxi_of(o, cin, nimg, h, wd, p);
        for (long sb = s0; sb < s1; sb += kb) {
            const long se = sb + kb < s1 ? sb + kb : s1, uxi = (se - sb) * WMR * cin + XPAD, mxi = (se - sb) * WMR * ldm + XPAD;
            o->pack(w, cout, cin, ostride, istride, flip, ub, sb, se, uxi, sb);
            wino_products(o->positions, cin, ub, uxi, se - sb, v, vxi, strips, mb, mxi, ldm);
            const long o1 = se * WMR < cout ? se * WMR : cout;
            for (long i = 0; i < nimg; i++)
                o->output(mb, ldm, mxi, g, oh, ow, 0, g.th, i * per, sb * WMR, o1, bias, out + i * cout * oh * ow, epi, roff);
        }
        return;
    }
#endif
    (void)f43; (void)w; (void)ostride; (void)istride; (void)flip; (void)cin; (void)h; (void)wd; (void)p; (void)cout; (void)nimg;
    (void)v; (void)s0; (void)s1; (void)kb; (void)bias; (void)out; (void)ub; (void)mb; (void)epi;
    abort();  // callers check azoo_wino_available()
}
