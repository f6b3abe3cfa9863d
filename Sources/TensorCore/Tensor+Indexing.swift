/// Selection ops: where, masked fill, gather, index select, constant padding, dropout.
extension Tensor {
    /// `cond ? a : b` element-wise with broadcasting; `cond` is a 0/1 mask (non-zero = true).
    public static func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let outShape = broadcastShapes(broadcastShapes(cond.shape, a.shape, op: "where"), b.shape, op: "where")
        let c = cond.expanded(outShape).detach(), av = a.detach().expanded(outShape), bv = b.detach().expanded(outShape)
        let out = Tensor(uninitializedShape: outShape)
        let pc = c.data, pa = av.data, pb = bv.data, po = out.data
        for i in 0..<out.count { let x = pa[i], y = pb[i]; po[i] = pc[i] != 0 ? x : y }  // plain loads, not masked ones
        return differentiable("where", inputs: [a, b], output: out) { g in
            [a.requiresGrad ? g * c : nil, b.requiresGrad ? g * (1 - c) : nil]
        }
    }

    /// Replaces elements where `mask` is non-zero with `value`.
    public func maskedFill(_ mask: Tensor, value: Float) -> Tensor {
        let outShape = broadcastShapes(shape, mask.shape, op: "masked_fill")
        checkShape(outShape == shape, "masked_fill: mask \(mask.shape) does not broadcast to \(shape)")
        let out = broadcastApply(self, mask, out: shape) { x, m in m != 0 ? value : x }
        return Tensor.differentiable("masked_fill", inputs: [self], output: out) { g in
            [broadcastApply(g, mask, out: g.shape) { x, m in m != 0 ? 0 : x }]
        }
    }

    /// `torch.gather`: `out[i][j][k] = self[i][index[i][j][k]][k]` along `axis`. `index` has
    /// `indexShape` (same rank; extents ≤ self's off the axis).
    public func gather(axis: Int, index: [Int], indexShape: [Int]) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "gather")
        checkShape(indexShape.count == rank && shapeCount(indexShape) == index.count,
                   "gather: index shape \(indexShape) does not fit input \(shape)")
        for d in 0..<rank where d != a {
            checkShape(indexShape[d] <= shape[d], "gather: index shape \(indexShape) exceeds input \(shape) on axis \(d)")
        }
        let out = Tensor(uninitializedShape: indexShape)
        let inStrides = contiguousStrides(shape), idxStrides = contiguousStrides(indexShape)
        var offsets = [Int](repeating: 0, count: index.count)
        for (flat, ix) in index.enumerated() {
            checkShape(ix >= 0 && ix < shape[a], "gather: index \(ix) out of range for axis \(axis) of \(shape)")
            var rem = flat, off = 0
            for d in 0..<rank {
                let c = rem / idxStrides[d]; rem %= idxStrides[d]
                off += (d == a ? ix : c) * inStrides[d]
            }
            offsets[flat] = off
        }
        let src = data, dst = out.data
        for (i, off) in offsets.enumerated() { dst[i] = src[off] }
        let inShape = shape
        // Gradient scatters back, adding where indices repeat.
        return Tensor.differentiable("gather", inputs: [self], output: out) { g in
            let gi = Tensor.zeros(inShape)
            let gp = g.data, dp = gi.data
            for (i, off) in offsets.enumerated() { dp[off] += gp[i] }
            return [gi]
        }
    }

    /// `torch.index_select`: the slices `indices` along `axis`, in that order.
    public func indexSelect(axis: Int, indices: [Int]) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "index_select")
        for i in indices { checkShape(i >= 0 && i < shape[a], "index_select: index \(i) out of range for axis \(axis) of \(shape)") }
        let outer = shapeCount(Array(shape[..<a])), n = shape[a], inner = shapeCount(Array(shape[(a + 1)...]))
        var outShape = shape; outShape[a] = indices.count
        let out = Tensor(uninitializedShape: outShape)
        let src = data, dst = out.data
        for o in 0..<outer {
            for (j, ix) in indices.enumerated() {
                (dst + (o * indices.count + j) * inner).update(from: src + (o * n + ix) * inner, count: inner)
            }
        }
        let inShape = shape
        return Tensor.differentiable("index_select", inputs: [self], output: out) { g in
            let gi = Tensor.zeros(inShape)
            let gp = g.data, dp = gi.data
            for o in 0..<outer {
                for (j, ix) in indices.enumerated() {
                    let d = dp + (o * n + ix) * inner, s = gp + (o * indices.count + j) * inner
                    for e in 0..<inner { d[e] += s[e] }
                }
            }
            return [gi]
        }
    }

    /// Constant padding with PyTorch's `F.pad` order: `[left, right, top, bottom, …]` from the
    /// last axis backwards. Negative amounts crop.
    public func padded(_ pads: [Int], value: Float = 0) -> Tensor {
        checkShape(pads.count % 2 == 0 && pads.count / 2 <= rank, "pad: \(pads) does not fit shape \(shape)")
        var outShape = shape
        var before = [Int](repeating: 0, count: rank)
        for i in 0..<(pads.count / 2) {
            let axis = rank - 1 - i
            before[axis] = pads[2 * i]
            outShape[axis] += pads[2 * i] + pads[2 * i + 1]
            checkShape(outShape[axis] >= 0, "pad: \(pads) leaves a negative extent for shape \(shape)")
        }
        // Crop first (negative pads), then place into the filled output.
        var src = self
        for axis in 0..<rank {
            let lo = Swift.max(0, -before[axis])
            let hi = src.shape[axis] - Swift.max(0, -(outShape[axis] - shape[axis] - before[axis]))
            if lo > 0 || hi < src.shape[axis] { src = src.slice(axis: axis, start: lo, end: hi) }
        }
        let out = Tensor.full(value, shape: outShape)
        let outStrides = contiguousStrides(outShape)
        var offset = 0
        for axis in 0..<rank { offset += Swift.max(0, before[axis]) * outStrides[axis] }
        let ps = src.data, po = out.data + offset
        stridedRuns(src.shape, contiguousStrides(src.shape), outStrides) { os, od, n, ss, sd in
            for j in 0..<n { po[od + j * sd] = ps[os + j * ss] }
        }
        return Tensor.differentiable("pad", inputs: [src], output: out) { g in
            [gatherStrided(g, offset: offset, srcStrides: outStrides, shape: src.shape)]
        }
    }

    /// Inverted dropout: zeroes each element with probability `p` and scales the rest by
    /// 1/(1−p); identity when not `training`.
    public func dropout(p: Float, training: Bool, generator: RandomGenerator = .current) -> Tensor {
        checkShape(p >= 0 && p <= 1, "dropout: probability \(p) is not in [0, 1]")
        guard training, p > 0 else { return self }
        if p == 1 { return self * 0 }
        let u = generator.uniform(count)
        let scale = 1 / (1 - p)
        let mask = Tensor(u.map { $0 >= p ? scale : 0 }, shape: shape)
        return self * mask
    }
}
