/// Views and copies: reshape, permute, expand, squeeze, slice, cat, stack and friends.
extension Tensor {
    /// Same data, new shape (one extent may be −1). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            checkShape(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) to \(newShape)")
            s[i] = count / known
        }
        checkShape(shapeCount(s) == count, "reshape: cannot reshape \(shape) to \(newShape)")
        if s == shape { return self }
        let original = shape
        let out = Tensor(storage: storage, shape: s)
        return Tensor.differentiable("reshape", inputs: [self], output: out) { g in [g.reshaped(original)] }
    }

    public func reshaped(_ dims: Int...) -> Tensor { reshaped(dims) }

    /// Merges axes `startDim...endDim` into one.
    public func flattened(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let s = normalizeAxis(startDim, rank: rank, op: "flatten"), e = normalizeAxis(endDim, rank: rank, op: "flatten")
        checkShape(s <= e, "flatten: start \(startDim) after end \(endDim) for shape \(shape)")
        let merged = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Inserts an axis of extent 1 at `axis` (−1 appends).
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        checkShape(a >= 0 && a <= rank, "unsqueeze: axis \(axis) out of range for shape \(shape)")
        var s = shape; s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes axes of extent 1 (all, or only `axis` when given and of extent 1).
    public func squeezed(_ axis: Int? = nil) -> Tensor {
        if let axis {
            let a = normalizeAxis(axis, rank: rank, op: "squeeze")
            if shape[a] != 1 { return self }
            var s = shape; s.remove(at: a)
            return reshaped(s)
        }
        return reshaped(shape.filter { $0 != 1 })
    }

    /// Reorders axes (a copy).
    public func permuted(_ order: [Int]) -> Tensor {
        checkShape(order.count == rank && Set(order.map { $0 < 0 ? $0 + rank : $0 }) == Set(0..<rank),
                   "permute: order \(order) is not a permutation of the axes of \(shape)")
        let ord = order.map { $0 < 0 ? $0 + rank : $0 }
        if ord == Array(0..<rank) { return self }
        let strides = contiguousStrides(shape)
        let out = gatherStrided(self, offset: 0, srcStrides: ord.map { strides[$0] }, shape: ord.map { shape[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in ord.enumerated() { inverse[o] = i }
        return Tensor.differentiable("permute", inputs: [self], output: out) { g in [g.permuted(inverse)] }
    }

    public func permuted(_ order: Int...) -> Tensor { permuted(order) }

    /// Swaps two axes (a copy).
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizeAxis(a, rank: rank, op: "transpose"), normalizeAxis(b, rank: rank, op: "transpose"))
        return permuted(order)
    }

    /// Transpose of a 2-D tensor.
    public var t: Tensor { transposed(0, 1) }

    /// Broadcasts to `newShape` (−1 keeps an extent), materialised.
    public func expanded(_ newShape: [Int]) -> Tensor {
        let pad = newShape.count - rank
        checkShape(pad >= 0, "expand: cannot expand \(shape) to \(newShape)")
        let target = newShape.enumerated().map { i, d in d == -1 ? shape[i - pad] : d }
        for i in 0..<rank {
            checkShape(shape[i] == target[i + pad] || shape[i] == 1, "expand: cannot expand \(shape) to \(newShape)")
        }
        if target == shape { return self }
        let out = gatherStrided(self, offset: 0, srcStrides: broadcastStrides(shape, to: target), shape: target)
        // Gradient keeps the expanded shape; backward() sums it back down.
        return Tensor.differentiable("expand", inputs: [self], output: out) { g in [g] }
    }

    public func expanded(_ dims: Int...) -> Tensor { expanded(dims) }

    /// `self` broadcast to `other`'s shape.
    public func expanded(as other: Tensor) -> Tensor { expanded(other.shape) }

    /// Elements `start..<end` (step `step`) along `axis`; negative bounds count from the end,
    /// bounds are clamped as Python slicing does.
    public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "slice")
        checkShape(step > 0, "slice: step \(step) must be positive")
        let n = shape[a]
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
        let lo = clampIndex(start), hi = Swift.max(lo, clampIndex(end ?? n))
        let len = (hi - lo + step - 1) / step
        var s = shape; s[a] = len
        if lo == 0 && len == n && step == 1 { return self }
        var strides = contiguousStrides(shape)
        let offset = lo * strides[a]
        strides[a] *= step
        let out = gatherStrided(self, offset: offset, srcStrides: strides, shape: s)
        let srcShape = shape
        // Gradient: zeros with the slice's gradient written back at the sliced positions.
        return Tensor.differentiable("slice", inputs: [self], output: out) { g in
            let full = Tensor.zeros(srcShape)
            scatterAddStrided(g, into: full, offset: offset, dstStrides: strides)
            return [full]
        }
    }

    /// Element `index` along `axis`, axis removed.
    public func select(axis: Int, index: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "select")
        let i = index < 0 ? index + shape[a] : index
        checkShape(i >= 0 && i < shape[a], "select: index \(index) out of range for axis \(axis) of \(shape)")
        return slice(axis: a, start: i, end: i + 1).squeezed(a)
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank, op: "split")
        checkShape(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to \(shape[a]) along axis \(axis) of \(shape)")
        var start = 0
        return sizes.map { n in defer { start += n }; return slice(axis: a, start: start, end: start + n) }
    }

    /// Splits along `axis` into pieces of `size` (the last may be smaller), as `torch.split`.
    public func split(size: Int, axis: Int) -> [Tensor] {
        let n = shape[normalizeAxis(axis, rank: rank, op: "split")]
        checkShape(size > 0, "split: size \(size) must be positive")
        var sizes: [Int] = []
        var left = n
        while left > 0 { sizes.append(Swift.min(size, left)); left -= size }
        return split(sizes: sizes, axis: axis)
    }

    /// `torch.chunk`: `chunks` pieces of ⌈n/chunks⌉ (fewer when n is small).
    public func chunked(_ chunks: Int, axis: Int) -> [Tensor] {
        let n = shape[normalizeAxis(axis, rank: rank, op: "chunk")]
        checkShape(chunks > 0, "chunk: chunks \(chunks) must be positive")
        return split(size: Swift.max(1, (n + chunks - 1) / chunks), axis: axis)
    }

    /// Concatenates along `axis`; all other extents must agree.
    public static func cat(_ tensors: [Tensor], axis: Int) -> Tensor {
        checkShape(!tensors.isEmpty, "cat: no tensors")
        let first = tensors[0]
        let a = normalizeAxis(axis, rank: first.rank, op: "cat")
        for t in tensors {
            var x = t.shape, y = first.shape
            checkShape(x.count == y.count, "cat: shapes \(first.shape) and \(t.shape) differ in rank")
            x[a] = 0; y[a] = 0
            checkShape(x == y, "cat: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
        }
        if tensors.count == 1 { return first }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor(uninitializedShape: outShape)
        let outer = shapeCount(Array(outShape[..<a]))
        let innerOut = shapeCount(Array(outShape[a...]))
        var offset = 0
        for t in tensors {
            let block = shapeCount(Array(t.shape[a...]))
            let src = t.data, dst = out.data + offset
            for o in 0..<outer { (dst + o * innerOut).update(from: src + o * block, count: block) }
            offset += block
        }
        let sizes = tensors.map { $0.shape[a] }
        return differentiable("cat", inputs: tensors, output: out) { g in
            g.split(sizes: sizes, axis: a).map { Optional($0) }
        }
    }

    /// Stacks equal-shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        checkShape(!tensors.isEmpty, "stack: no tensors")
        for t in tensors { checkShape(t.shape == tensors[0].shape, "stack: shapes \(tensors[0].shape) and \(t.shape) differ") }
        return cat(tensors.map { $0.unsqueezed(axis) }, axis: axis < 0 ? axis + tensors[0].rank + 1 : axis)
    }

    /// Repeats the tensor along each axis (`torch.Tensor.repeat`).
    public func repeated(_ times: [Int]) -> Tensor {
        checkShape(times.count >= rank, "repeat: \(times) has fewer entries than the rank of \(shape)")
        let padded = [Int](repeating: 1, count: times.count - rank) + shape
        // View as (r0, d0, r1, d1, ...) broadcast, then merge pairs.
        var inter: [Int] = [], src: [Int] = []
        for (r, d) in zip(times, padded) { inter += [r, d]; src += [1, d] }
        return reshaped(src).expanded(inter).reshaped(zip(times, padded).map { $0 * $1 })
    }
}
