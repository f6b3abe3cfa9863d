import Kernels

/// The kinds of single-axis reduction the kernel knows.
enum ReduceKind { case sum, max, min }

/// Reduces axis `a` of `t` (viewed as outer × n × inner) into a contiguous result with that
/// axis removed.
func reduceAxis(_ t: Tensor, axis a: Int, kind: ReduceKind) -> Tensor {
    let outer = shapeCount(Array(t.shape[..<a])), n = t.shape[a], inner = shapeCount(Array(t.shape[(a + 1)...]))
    var outShape = t.shape; outShape.remove(at: a)
    let out = Tensor(uninitializedShape: outShape)
    let src = t.data, dst = out.data
    if inner == 1 {
        Threading.parallelFor(outer, minChunk: Swift.max(1, 4096 / Swift.max(n, 1))) { range in
            for o in range {
                let row = src + o * n
                switch kind {
                case .sum:
                    var acc = SIMD8<Float>(repeating: 0)
                    var j = 0
                    while j + 8 <= n {
                        acc += UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                        j += 8
                    }
                    var s = acc.sum()
                    while j < n { s += row[j]; j += 1 }
                    dst[o] = s
                case .max: dst[o] = rowExtreme(row, n, largest: true)
                case .min: dst[o] = rowExtreme(row, n, largest: false)
                }
            }
        }
        return out
    }
    Threading.parallelFor(outer * inner, minChunk: 4096) { range in
        // Work in whole rows of `inner` where possible.
        var idx = range.lowerBound
        while idx < range.upperBound {
            let o = idx / inner, i0 = idx % inner
            let i1 = Swift.min(inner, i0 + (range.upperBound - idx))
            let d = dst + o * inner
            let base = src + o * n * inner
            let initial: Float = kind == .sum ? 0 : (kind == .max ? -.infinity : .infinity)
            for i in i0..<i1 { d[i] = initial }
            for r in 0..<n {
                let s = base + r * inner
                switch kind {
                case .sum: for i in i0..<i1 { d[i] += s[i] }
                // Branch-free selects, so the column loops vectorise; NaN propagates as PyTorch's.
                case .max: for i in i0..<i1 { let v = s[i], m = d[i]; d[i] = (v > m || v != v) ? v : m }
                case .min: for i in i0..<i1 { let v = s[i], m = d[i]; d[i] = (v < m || v != v) ? v : m }
                }
            }
            idx += i1 - i0
        }
    }
    return out
}

/// Max (or min) of a contiguous row with eight-lane compare-and-blend partial results; NaN
/// propagates (a NaN lane stays NaN), ±∞ for an empty row, as PyTorch's amax/amin.
@inline(__always)
func rowExtreme(_ row: UnsafePointer<Float>, _ n: Int, largest: Bool) -> Float {
    var acc = SIMD8<Float>(repeating: largest ? -.infinity : .infinity)
    var j = 0
    while j + 8 <= n {
        let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
        acc.replace(with: v, where: (largest ? v .> acc : v .< acc) .| (v .!= v))
        j += 8
    }
    var m = acc[0]
    for l in 1..<8 { let v = acc[l]; if (largest ? v > m : v < m) || v != v || m != m { m = m != m ? m : v } }
    while j < n { let v = row[j]; if (largest ? v > m : v < m) || v != v { m = m != m ? m : v }; j += 1 }
    return m
}

extension Tensor {
    /// Sorted, normalised, de-duplicated axes (all axes when `axes` is nil or empty).
    func normalizedAxes(_ axes: [Int]?, op: String) -> [Int] {
        guard let axes, !axes.isEmpty else { return Array(0..<rank) }
        return Array(Set(axes.map { normalizeAxis($0, rank: rank, op: op) })).sorted()
    }

    /// The shape after reducing `axes` (kept as 1 with `keepDims`).
    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        var s: [Int] = []
        for (i, d) in shape.enumerated() {
            if axes.contains(i) { if keepDims { s.append(1) } } else { s.append(d) }
        }
        return s
    }

    /// Applies a single-axis reduction over several axes, merging runs of adjacent axes.
    func reduceAxes(_ axes: [Int], kind: ReduceKind) -> Tensor {
        var t = self
        var groups: [[Int]] = []
        for a in axes { if let l = groups.last?.last, l + 1 == a { groups[groups.count - 1].append(a) } else { groups.append([a]) } }
        // Reduce from the last group so earlier axis numbers stay valid.
        for group in groups.reversed() {
            let lo = group.first!, hi = group.last!
            var s = Array(t.shape[..<lo]); s.append(t.shape[lo...hi].reduce(1, *)); s += t.shape[(hi + 1)...]
            t = reduceAxis(Tensor(storage: t.storage, shape: s), axis: lo, kind: kind)
        }
        return t
    }

    /// Sum over `axes` (all when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "sum")
        if rank == 0 { return self }
        let keep = reducedShape(ax, keepDims: true)
        let out = reduceAxes(ax, kind: .sum).reshapedRaw(reducedShape(ax, keepDims: keepDims))
        let inShape = shape
        // Every input element receives the gradient of its sum.
        return Tensor.differentiable("sum", inputs: [self], output: out) { g in [g.reshaped(keep).expanded(inShape)] }
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) / Float(n)
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes`; `unbiased` (default, as PyTorch) divides by n − 1.
    public func variance(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "var")
        let n = ax.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(axes: ax, keepDims: true)
        return (centered * centered).sum(axes: ax, keepDims: keepDims) / Float(unbiased ? n - 1 : n)
    }

    /// Standard deviation over `axes`; unbiased by default.
    public func std(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        variance(axes: axes, unbiased: unbiased, keepDims: keepDims).sqrt()
    }

    /// Maximum over `axes`; the gradient is shared equally between tied maxima (`torch.amax`).
    public func amax(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { extremum(axes, keepDims, .max, "amax") }

    /// Minimum over `axes`; ties share the gradient (`torch.amin`).
    public func amin(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor { extremum(axes, keepDims, .min, "amin") }

    private func extremum(_ axes: [Int]?, _ keepDims: Bool, _ kind: ReduceKind, _ op: String) -> Tensor {
        let ax = normalizedAxes(axes, op: op)
        let keep = reducedShape(ax, keepDims: true)
        let reduced = reduceAxes(ax, kind: kind)
        let out = reduced.reshapedRaw(reducedShape(ax, keepDims: keepDims))
        return Tensor.differentiable(op, inputs: [self], output: out) { g in
            let ext = reduced.reshapedRaw(keep)
            let mask = self.eq(ext)
            let ties = mask.sum(axes: ax, keepDims: true)
            return [g.reshaped(keep) * mask / ties]
        }
    }

    /// `Swift.max(dim)`: values and indices along `axis`; the gradient goes to the first maximal index.
    public func max(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: [Int]) { argExtremum(axis, keepDims, greater: true) }

    /// `Swift.min(dim)`: values and indices along `axis`.
    public func min(axis: Int, keepDims: Bool = false) -> (values: Tensor, indices: [Int]) { argExtremum(axis, keepDims, greater: false) }

    /// `max(dim).values` without materialising indices in the forward pass: the values come
    /// from the vectorised reduction and the pullback sends the gradient to the first maximal
    /// index along `axis`, exactly as `torch.max(x, dim)`.
    public func maxValues(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "max")
        checkShape(shape[a] > 0, "max: axis \(axis) of \(shape) is empty")
        let values = reduceAxis(self, axis: a, kind: .max)
        let out = values.reshapedRaw(reducedShape([a], keepDims: keepDims))
        let outer = shapeCount(Array(shape[..<a])), n = shape[a], inner = shapeCount(Array(shape[(a + 1)...]))
        let inShape = shape, input = self
        return Tensor.differentiable("max", inputs: [self], output: out) { g in
            let gi = Tensor.zeros(inShape)
            let gp = g.data, dp = gi.data, xp = input.data, vp = values.data
            Threading.parallelFor(outer) { range in
                for o in range {
                    for i in 0..<inner {
                        let m = vp[o * inner + i]
                        var r = 0
                        while r < n - 1 {
                            let v = xp[(o * n + r) * inner + i]
                            if v == m || (v.isNaN && m.isNaN) { break }
                            r += 1
                        }
                        dp[(o * n + r) * inner + i] = gp[o * inner + i]
                    }
                }
            }
            return [gi]
        }
    }

    /// Index of the maximum along `axis` (first on ties), flattened over the other axes.
    public func argmax(axis: Int) -> [Int] { self.max(axis: axis).indices }

    /// Index of the minimum along `axis`.
    public func argmin(axis: Int) -> [Int] { self.min(axis: axis).indices }

    private func argExtremum(_ axis: Int, _ keepDims: Bool, greater: Bool) -> (values: Tensor, indices: [Int]) {
        let a = normalizeAxis(axis, rank: rank, op: greater ? "max" : "min")
        let outer = shapeCount(Array(shape[..<a])), n = shape[a], inner = shapeCount(Array(shape[(a + 1)...]))
        checkShape(n > 0, "\(greater ? "max" : "min"): axis \(axis) of \(shape) is empty")
        var idx = [Int](repeating: 0, count: outer * inner)
        let vals = Tensor(uninitializedShape: reducedShape([a], keepDims: keepDims))
        let src = data, dst = vals.data
        // Runs over the reduced axis outermost so the inner loop walks contiguous memory;
        // strict comparison keeps the first extreme index, NaN wins as in PyTorch.
        idx.withUnsafeMutableBufferPointer { ib in
            let ip = ib.baseAddress!
            Threading.parallelFor(outer) { range in
                for o in range {
                    let d = dst + o * inner, id = ip + o * inner, base = src + o * n * inner
                    for i in 0..<inner { d[i] = base[i]; id[i] = 0 }
                    for r in 1..<Swift.max(n, 1) {
                        let row = base + r * inner
                        for i in 0..<inner {
                            let v = row[i], cur = d[i]
                            if (greater ? v > cur : v < cur) || (v.isNaN && !cur.isNaN) { d[i] = v; id[i] = r }
                        }
                    }
                }
            }
        }
        let inShape = shape
        let out = Tensor.differentiable(greater ? "max" : "min", inputs: [self], output: vals) { g in
            let gi = Tensor.zeros(inShape)
            let gp = g.data, dp = gi.data
            for o in 0..<outer { for i in 0..<inner { dp[(o * n + idx[o * inner + i]) * inner + i] += gp[o * inner + i] } }
            return [gi]
        }
        return (out, idx)
    }

    /// p-norm over `axes` (p = 2 by default; all elements when nil).
    public func norm(p: Float = 2, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        if p == 1 { return self.abs().sum(axes: axes, keepDims: keepDims) }
        if p == 2 { return (self * self).sum(axes: axes, keepDims: keepDims).sqrt() }
        if p == .infinity { return self.abs().amax(axes: axes, keepDims: keepDims) }
        return self.abs().pow(p).sum(axes: axes, keepDims: keepDims).pow(1 / p)
    }

    /// Reshape without a tape entry (for results built outside `differentiable`).
    func reshapedRaw(_ s: [Int]) -> Tensor { Tensor(storage: storage, shape: s) }
}
