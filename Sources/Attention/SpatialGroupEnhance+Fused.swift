import Foundation
import Kernels
import NN
import TensorCore

/// SpatialGroupEnhance's forward as one differentiable op: per (image, group) the channel means,
/// the spatial similarity map t, its standardisation (unbiased std + 1e−5), the σ gate and the
/// gated output in one pass over the group's planes, with a hand-written pullback (the same
/// arithmetic as `composedForward`, checked by the PyTorch fixtures and a test against it).
extension SpatialGroupEnhance {
    func fusedForward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], c = x.shape[1], p = x.shape[2] * x.shape[3]
        let cg = c / groups, items = n * groups
        let wv = weight.value, bv = bias.value
        let out = Tensor(uninitializedShape: x.shape)
        // Saved: channel means (n·c), standardised map t̂ and gate σ per item (items × p), std per item.
        let means = Tensor(uninitializedShape: [n * c]), tn = Tensor(uninitializedShape: [items, p])
        let gates = Tensor(uninitializedShape: [items, p]), sds = Tensor(uninitializedShape: [items])
        let xp = UncheckedSendable(x.data), op = UncheckedSendable(out.data), mp = UncheckedSendable(means.data)
        let tp = UncheckedSendable(tn.data), gp = UncheckedSendable(gates.data), dp = UncheckedSendable(sds.data)
        let groups = self.groups
        Threading.parallelFor(items) { range in
            for item in range {
                let xs = xp.value + item * cg * p, t = tp.value + item * p, gate = gp.value + item * p
                for e in 0..<p { t[e] = 0 }
                for ch in 0..<cg {
                    let row = xs + ch * p
                    let m = RowKernels.sum(row, p) / Float(p)
                    mp.value[item * cg + ch] = m
                    for e in 0..<p { t[e] += row[e] * m }
                }
                let mean = RowKernels.sum(t, p) / Float(p)
                var v: Float = 0
                for e in 0..<p { t[e] -= mean; v += t[e] * t[e] }
                let sd = (v / Float(p - 1)).squareRoot()
                dp.value[item] = sd
                let inv = 1 / (sd + 1e-5), g = item % groups, wg = wv.data[g], bg = bv.data[g]
                for e in 0..<p { t[e] *= inv; gate[e] = t[e] * wg + bg }
                VectorMath.apply(.sigmoid, gate, gate, count: p)
                let o = op.value + item * cg * p
                for ch in 0..<cg {
                    let row = xs + ch * p, orow = o + ch * p
                    for e in 0..<p { orow[e] = row[e] * gate[e] }
                }
            }
        }
        return Tensor.differentiable("spatial_group_enhance", inputs: [x, wv, bv], output: out) {
            [x, means, tn, gates, sds, groups] gy in
            let dx = Tensor(uninitializedShape: x.shape)
            let partial = Tensor(uninitializedShape: [items, 2])  // Σ dgate·t̂, Σ dgate per item
            let scratch = Tensor(uninitializedShape: [items, p])
            let gyp = UncheckedSendable(gy.data), dxp = UncheckedSendable(dx.data), pp = UncheckedSendable(partial.data)
            let xq = UncheckedSendable(x.data), mq = UncheckedSendable(means.data), tq = UncheckedSendable(tn.data)
            let gq = UncheckedSendable(gates.data), dq = UncheckedSendable(sds.data), sq = UncheckedSendable(scratch.data)
            Threading.parallelFor(items) { range in
                for item in range {
                    let xs = xq.value + item * cg * p, g = gyp.value + item * cg * p, d = dxp.value + item * cg * p
                    let t = tq.value + item * p, gate = gq.value + item * p, dt = sq.value + item * p
                    let wg = wv.data[item % groups], sd = dq.value[item], inv = 1 / (sd + 1e-5)
                    // dgate_e = σ'(·) Σ_c gy·x ; dt̂ = dgate · w ; direct input term gy·σ.
                    for e in 0..<p { dt[e] = 0 }
                    for ch in 0..<cg {
                        let row = xs + ch * p, grow = g + ch * p, drow = d + ch * p
                        for e in 0..<p { dt[e] += grow[e] * row[e]; drow[e] = grow[e] * gate[e] }
                    }
                    var sw: Float = 0, sb: Float = 0, dotTc: Float = 0
                    for e in 0..<p {
                        let dgate = dt[e] * gate[e] * (1 - gate[e])
                        sw += dgate * t[e]
                        sb += dgate
                        dt[e] = dgate * wg              // now dt̂
                        dotTc += dt[e] * t[e]           // Σ dt̂·t̂ = Σ dt̂·tc·inv
                    }
                    pp.value[item * 2] = sw
                    pp.value[item * 2 + 1] = sb
                    // t̂ = tc·inv, sd = sqrt(Σ tc²/(p−1)): dtc = dt̂·inv − (Σ dt̂·tc)·inv²·tc/((p−1)·sd).
                    let k = sd > 0 ? dotTc * inv / (Float(p - 1) * sd) : 0  // dotTc·inv = Σ dt̂·tc·inv²
                    var mean: Float = 0
                    for e in 0..<p {
                        let tc = t[e] / inv
                        dt[e] = dt[e] * inv - k * tc
                        mean += dt[e]
                    }
                    mean /= Float(p)
                    for e in 0..<p { dt[e] -= mean }     // dt (gradient of the raw map t)
                    // t_e = Σ_c x[c,e]·m_c, m_c = mean_e x[c,e].
                    for ch in 0..<cg {
                        let row = xs + ch * p, drow = d + ch * p, m = mq.value[item * cg + ch]
                        let spread = RowKernels.dot(dt, row, p) / Float(p)
                        for e in 0..<p { drow[e] += dt[e] * m + spread }
                    }
                }
            }
            let dw = Tensor.zeros(wv.shape), db = Tensor.zeros(bv.shape)
            for item in 0..<items {
                dw.data[item % groups] += partial.data[item * 2]
                db.data[item % groups] += partial.data[item * 2 + 1]
            }
            return [dx, dw, db]
        }
    }
}
