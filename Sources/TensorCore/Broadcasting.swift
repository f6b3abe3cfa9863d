import CKernels
import Kernels

/// The NumPy/PyTorch broadcast of two shapes; traps naming `op` and both shapes when they
/// are incompatible.
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    let r = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        checkShape(da == db || da == 1 || db == 1, "\(op): shapes \(a) and \(b) are not broadcastable")
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Strides of `shape` (left-padded to `rank`) with 0 along broadcast axes.
func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
    let pad = out.count - shape.count
    let s = contiguousStrides(shape)
    return (0..<out.count).map { i in
        i < pad ? 0 : (shape[i - pad] == 1 && out[i] != 1 ? 0 : s[i - pad])
    }
}

/// A broadcast loop plan: dims merged where both operands stay contiguous, so the inner loop
/// is as long as possible.
struct BroadcastPlan {
    var dims: [Int] = []
    var sa: [Int] = []
    var sb: [Int] = []

    init(out: [Int], a: [Int], b: [Int]) {
        (dims, sa, sb) = mergedDims(out, broadcastStrides(a, to: out), broadcastStrides(b, to: out))
        if dims.isEmpty { dims = [1]; sa = [0]; sb = [0] }
    }
}

/// Calls `body(offsetA, offsetB, offsetOut, length, strideA, strideB)` for every innermost run
/// of the broadcast of shapes `a` and `b` into `out` (contiguous), in parallel over the runs.
@inline(__always)
func forEachBroadcastRun(out: [Int], a: [Int], b: [Int], _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
    let plan = BroadcastPlan(out: out, a: a, b: b)
    let inner = plan.dims[plan.dims.count - 1]
    let ia = plan.sa[plan.dims.count - 1], ib = plan.sb[plan.dims.count - 1]
    let outerDims = Array(plan.dims.dropLast())
    let osa = Array(plan.sa.dropLast()), osb = Array(plan.sb.dropLast())
    Threading.parallelFor(shapeCount(outerDims), minChunk: max(1, (1 << 15) / max(inner, 1))) { range in
        if outerDims.count == 1 {
            // The common (N·C, H·W) ⊙ (N·C, 1) gate: offsets without index decomposition.
            let sa0 = osa[0], sb0 = osb[0]
            for o in range { body(o * sa0, o * sb0, o * inner, inner, ia, ib) }
            return
        }
        for o in range {
            var rem = o, offA = 0, offB = 0
            for d in stride(from: outerDims.count - 1, through: 0, by: -1) {
                let idx = rem % outerDims[d]
                rem /= outerDims[d]
                offA += idx * osa[d]; offB += idx * osb[d]
            }
            body(offA, offB, o * inner, inner, ia, ib)
        }
    }
}

/// The binary ops with dedicated loops (no per-element closure call).
enum BinaryOp { case add, sub, mul, div }

/// One contiguous run of a binary op with operand strides 0 or 1.
@inline(__always)
func binaryRun(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ ia: Int, _ b: UnsafePointer<Float>, _ ib: Int,
               _ r: UnsafeMutablePointer<Float>, _ n: Int) {
    switch op {
    case .add: vectorRun(a, ia, b, ib, r, n, { $0 + $1 }, { $0 + $1 })
    case .sub: vectorRun(a, ia, b, ib, r, n, { $0 - $1 }, { $0 - $1 })
    case .mul: vectorRun(a, ia, b, ib, r, n, { $0 * $1 }, { $0 * $1 })
    case .div: vectorRun(a, ia, b, ib, r, n, { $0 / $1 }, { $0 / $1 })
    }
}

/// `r[j] = f(a[j·ia], b[j·ib])` in eight-lane steps and a scalar tail of fewer than eight (the
/// compiler's own vectorisation unrolls by 32 and leaves up to 31 elements to a scalar loop,
/// which is most of a 7×7 or 14×14 plane).
@inline(__always)
private func vectorRun(_ a: UnsafePointer<Float>, _ ia: Int, _ b: UnsafePointer<Float>, _ ib: Int,
                       _ r: UnsafeMutablePointer<Float>, _ n: Int,
                       _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>, _ g: (Float, Float) -> Float) {
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    var j = 0
    switch (ia, ib) {
    case (1, 1):
        while j + 8 <= n { store(f(load(a + j), load(b + j)), r + j); j += 8 }
        while j < n { r[j] = g(a[j], b[j]); j += 1 }
    case (1, 0):
        let y = b[0], yv = V(repeating: y)
        while j + 8 <= n { store(f(load(a + j), yv), r + j); j += 8 }
        while j < n { r[j] = g(a[j], y); j += 1 }
    case (0, 1):
        let x = a[0], xv = V(repeating: x)
        while j + 8 <= n { store(f(xv, load(b + j)), r + j); j += 8 }
        while j < n { r[j] = g(x, b[j]); j += 1 }
    default:
        for j in 0..<n { r[j] = g(a[j * ia], b[j * ib]) }
    }
}

/// `op` over the broadcast of `a` and `b` into a new tensor of shape `out`, in vectorisable runs.
func broadcastBinary(_ a: Tensor, _ b: Tensor, out: [Int], _ op: BinaryOp) -> Tensor {
    let result = Tensor(uninitializedShape: out)
    let pa = a.data, pb = b.data, pr = result.data
    let n = result.count
    if a.shape == b.shape || b.count == 1 || a.count == 1 {
        let ia = a.count == 1 && n > 1 ? 0 : 1, ib = b.count == 1 && n > 1 ? 0 : 1
        Threading.parallelFor(n, minChunk: 1 << 15) { r in
            binaryRun(op, pa + (ia == 0 ? 0 : r.lowerBound), ia, pb + (ib == 0 ? 0 : r.lowerBound), ib, pr + r.lowerBound, r.count)
        }
        return result
    }
    let plan = BroadcastPlan(out: out, a: a.shape, b: b.shape)
    if plan.dims.count == 2 {
        // One full operand, one scalar per row (the gates' (N·C, H·W) ⊙ (N·C, 1)): one C call per chunk of rows.
        let rows = plan.dims[0], inner = plan.dims[1]
        let fullA = plan.sa == [inner, 1] && plan.sb == [1, 0], fullB = plan.sb == [inner, 1] && plan.sa == [1, 0]
        if fullA || fullB {
            let x = UncheckedSendable(UnsafePointer(fullA ? pa : pb)), s = UncheckedSendable(UnsafePointer(fullA ? pb : pa))
            let rp = UncheckedSendable(pr)
            let code: Int32 = switch op { case .add: 0; case .sub: 1; case .mul: 2; case .div: 3 }
            Threading.parallelFor(rows, minChunk: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { r in
                azoo_rows_scalar(x.value + r.lowerBound * inner, s.value + r.lowerBound, rp.value + r.lowerBound * inner, r.count, inner,
                                 code, fullA ? 0 : 1)
            }
            return result
        }
    }
    forEachBroadcastRun(out: out, a: a.shape, b: b.shape) { offA, offB, offR, n, ia, ib in
        binaryRun(op, pa + offA, ia, pb + offB, ib, pr + offR, n)
    }
    return result
}

/// `target += b` element by element, in `target`'s storage (same shapes; the caller owns `target`).
func addInPlace(_ target: Tensor, _ b: Tensor) {
    checkShape(target.shape == b.shape, "addInPlace: shapes \(target.shape) and \(b.shape) differ")
    let pt = target.data, pb = b.data
    Threading.parallelFor(target.count, minChunk: 1 << 15) { r in
        binaryRun(.add, pt + r.lowerBound, 1, pb + r.lowerBound, 1, pt + r.lowerBound, r.count)
    }
}

/// Runs `f` over the broadcast of `a` and `b` into a new contiguous buffer of shape `out`.
@inline(__always)
func broadcastApply(_ a: Tensor, _ b: Tensor, out: [Int],
                    _ f: (Float, Float) -> Float) -> Tensor {
    let result = Tensor(uninitializedShape: out)
    let pa = a.data, pb = b.data, pr = result.data
    let n = result.count
    if a.shape == b.shape {
        Threading.parallelFor(n, minChunk: 1 << 15) { r in
            for i in r { pr[i] = f(pa[i], pb[i]) }
        }
        return result
    }
    if b.count == 1 {
        let y = pb[0]
        Threading.parallelFor(n, minChunk: 1 << 15) { r in for i in r { pr[i] = f(pa[i], y) } }
        return result
    }
    if a.count == 1 {
        let x = pa[0]
        Threading.parallelFor(n, minChunk: 1 << 15) { r in for i in r { pr[i] = f(x, pb[i]) } }
        return result
    }
    forEachBroadcastRun(out: out, a: a.shape, b: b.shape) { offA, offB, offR, inner, ia, ib in
        let ra = pa + offA, rb = pb + offB, rr = pr + offR
        if ia == 1 && ib == 1 {
            for j in 0..<inner { rr[j] = f(ra[j], rb[j]) }
        } else if ia == 1 && ib == 0 {
            let y = rb[0]
            for j in 0..<inner { rr[j] = f(ra[j], y) }
        } else if ia == 0 && ib == 1 {
            let x = ra[0]
            for j in 0..<inner { rr[j] = f(x, rb[j]) }
        } else {
            for j in 0..<inner { rr[j] = f(ra[j * ia], rb[j * ib]) }
        }
    }
    return result
}

/// Runs `f` element-wise into a new tensor of the same shape.
@inline(__always)
func mapApply(_ a: Tensor, _ f: (Float) -> Float) -> Tensor {
    let result = Tensor(uninitializedShape: a.shape)
    let pa = a.data, pr = result.data
    Threading.parallelFor(a.count, minChunk: 1 << 15) { r in for i in r { pr[i] = f(pa[i]) } }
    return result
}

extension Tensor {
    /// Sums a (broadcast) gradient down to `target`, the shape it was broadcast from.
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let pad = rank - target.count
        checkShape(pad >= 0, "sumToShape: cannot reduce \(shape) to \(target)")
        var axes: [Int] = Array(0..<pad)
        for i in 0..<target.count where target[i] == 1 && shape[i + pad] != 1 { axes.append(i + pad) }
        let summed = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        checkShape(summed.count == shapeCount(target), "sumToShape: cannot reduce \(shape) to \(target)")
        return summed.reshaped(target)
    }
}

/// One of the vectorised exp-based functions element-wise into a new tensor.
func vectorApply(_ a: Tensor, _ f: VectorMath.Function) -> Tensor {
    let result = Tensor(uninitializedShape: a.shape)
    VectorMath.apply(f, a.data, result.data, count: a.count)
    return result
}
