import Foundation
import Kernels
import NN
import TensorCore

/// ShuffleAttention's whole forward as one differentiable op: per (image, group) the channel
/// branch (GAP → affine → σ gate) and the spatial branch (per-channel GroupNorm → affine → σ
/// gate) run in one pass over each plane and write straight into the shuffled output channel,
/// instead of chunk, pool, norm, gates, cat, permute and reshape as separate tensors.
/// The same arithmetic as the composed form (checked by the parity fixtures).
extension ShuffleAttention {
    func fusedForward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], p = x.shape[2] * x.shape[3]
        let k = c / (2 * groups), half = c / 2, items = n * groups, eps = gn.eps
        let cw = cweight.value, cb = cbias.value, sw = sweight.value, sb = sbias.value
        let gw = gn.weight?.value, gb = gn.bias?.value
        let out = Tensor(uninitializedShape: x.shape)
        // Saved for the pullback: gate per channel-branch plane, gate per spatial-branch element,
        // mean / reciprocal std per spatial-branch plane.
        let gates = Tensor(uninitializedShape: [n * c]), sgate = Tensor(uninitializedShape: x.shape)
        let mu = Tensor(uninitializedShape: [n * c]), rstd = Tensor(uninitializedShape: [n * c])
        let xp = UncheckedSendable(x.data), op = UncheckedSendable(out.data), gp = UncheckedSendable(gates.data)
        let sp = UncheckedSendable(sgate.data), mp = UncheckedSendable(mu.data), rp = UncheckedSendable(rstd.data)
        @inline(__always) func outPlane(_ plane: Int) -> Int {
            let img = plane / c, ch = plane % c
            return img * c + (ch % half) * 2 + ch / half
        }
        Threading.parallelFor(items) { range in
            for item in range {
                let base = (item / groups) * c + (item % groups) * 2 * k
                for j in 0..<k {
                    let plane = base + j, src = xp.value + plane * p, dst = op.value + outPlane(plane) * p
                    let s = RowKernels.sum(src, p)
                    let gate = 1 / (1 + Foundation.exp(-(cw.data[j] * (s / Float(p)) + cb.data[j])))
                    gp.value[plane] = gate
                    for e in 0..<p { dst[e] = src[e] * gate }
                }
                for j in 0..<k {
                    let plane = base + k + j, src = xp.value + plane * p, pre = sp.value + plane * p
                    let m = RowKernels.sum(src, p) / Float(p)
                    let v = RowKernels.squaredDeviation(src, mean: m, p)
                    let r = 1 / (v / Float(p) + eps).squareRoot()
                    mp.value[plane] = m; rp.value[plane] = r
                    let a = sw.data[j] * (gw?.data[j] ?? 1) * r, b0 = sw.data[j] * (gb?.data[j] ?? 0) + sb.data[j]
                    for e in 0..<p { pre[e] = (src[e] - m) * a + b0 }
                }
                let run = sp.value + (base + k) * p
                VectorMath.apply(.sigmoid, run, run, count: k * p)
                for j in 0..<k {
                    let plane = base + k + j, src = xp.value + plane * p, gate = sp.value + plane * p
                    let dst = op.value + outPlane(plane) * p
                    for e in 0..<p { dst[e] = src[e] * gate[e] }
                }
            }
        }
        var inputs = [x, cw, cb, sw, sb]
        if let gw, let gb { inputs += [gw, gb] }
        return Tensor.differentiable("shuffle_attention", inputs: inputs, output: out) { [groups, x, gates, sgate, mu, rstd] gy in
            _ = (gates, sgate, mu, rstd)  // keep the saved buffers (read through raw pointers) alive
            let dx = Tensor(uninitializedShape: x.shape)
            // Per item: dcw, dcb, dsw, dsb, dgw, dgb (k each), summed over items afterwards.
            let partial = Tensor(uninitializedShape: [items, 6 * k])
            let gyp = UncheckedSendable(gy.data), dxp = UncheckedSendable(dx.data), pp = UncheckedSendable(partial.data)
            Threading.parallelFor(items) { range in
                for item in range {
                    let base = (item / groups) * c + (item % groups) * 2 * k
                    let acc = pp.value + item * 6 * k
                    acc.update(repeating: 0, count: 6 * k)
                    for j in 0..<k {
                        let plane = base + j, src = xp.value + plane * p, g = gyp.value + outPlane(plane) * p
                        let d = dxp.value + plane * p, gate = gp.value[plane]
                        let dot = RowKernels.dot(g, src, p), s = RowKernels.sum(src, p)
                        let da = dot * gate * (1 - gate)
                        let spread = da * cw.data[j] / Float(p)
                        for e in 0..<p { d[e] = g[e] * gate + spread }
                        acc[j] += da * (s / Float(p))
                        acc[k + j] += da
                    }
                    for j in 0..<k {
                        let plane = base + k + j, src = xp.value + plane * p, g = gyp.value + outPlane(plane) * p
                        let d = dxp.value + plane * p, gate = sp.value + plane * p
                        let m = mp.value[plane], r = rp.value[plane]
                        let w = gw?.data[j] ?? 1, b = gb?.data[j] ?? 0, swj = sw.data[j]
                        var dsb: Float = 0, dsw: Float = 0, dgw: Float = 0, dgb: Float = 0, s1: Float = 0, s2: Float = 0
                        for e in 0..<p {
                            let xh = (src[e] - m) * r
                            let da = g[e] * src[e] * gate[e] * (1 - gate[e])
                            dsb += da
                            dsw += da * (w * xh + b)
                            let dgn = da * swj
                            dgw += dgn * xh
                            dgb += dgn
                            let dxh = dgn * w
                            s1 += dxh
                            s2 += dxh * xh
                        }
                        let m1 = s1 / Float(p), m2 = s2 / Float(p)
                        for e in 0..<p {
                            let xh = (src[e] - m) * r
                            let dxh = g[e] * src[e] * gate[e] * (1 - gate[e]) * swj * w
                            d[e] = g[e] * gate[e] + r * (dxh - m1 - xh * m2)
                        }
                        acc[2 * k + j] += dsw
                        acc[3 * k + j] += dsb
                        acc[4 * k + j] += dgw
                        acc[5 * k + j] += dgb
                    }
                }
            }
            let sums = [Float](unsafeUninitializedCapacity: 6 * k) { buf, count in
                for q in 0..<(6 * k) {
                    var t: Float = 0
                    for item in 0..<items { t += partial.data[item * 6 * k + q] }
                    buf[q] = t
                }
                count = 6 * k
            }
            func param(_ slot: Int, _ shape: [Int]) -> Tensor { Tensor(Array(sums[(slot * k)..<((slot + 1) * k)]), shape: shape) }
            var grads: [Tensor?] = [dx, param(0, cw.shape), param(1, cb.shape), param(2, sw.shape), param(3, sb.shape)]
            if gw != nil { grads += [param(4, [k]), param(5, [k])] }
            return grads
        }
    }
}
