import CKernels

/// Vectorised exp-based element-wise loops (C, AVX2/FMA when available: `Sources/CKernels`),
/// parallel over both cores for long arrays. `dst` may equal `src`.
public enum VectorMath {
    public enum Function: Sendable { case exp, sigmoid, tanh, silu, relu }

    /// `f` element-wise; in parallel over both cores for long arrays unless `parallel` is false
    /// (callers already inside a parallel loop).
    public static func apply(_ f: Function, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                             parallel: Bool = true) {
        guard parallel else { run(f, src, dst, count); return }
        Threading.parallelFor(count, minChunk: 1 << 15) { r in run(f, src + r.lowerBound, dst + r.lowerBound, r.count) }
    }

    @inline(__always)
    private static func run(_ f: Function, _ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        switch f {
        case .exp: azoo_exp(s, d, n)
        case .sigmoid: azoo_sigmoid(s, d, n)
        case .tanh: azoo_tanh(s, d, n)
        case .silu: azoo_silu(s, d, n)
        case .relu: azoo_relu(s, d, n)
        }
    }

    /// The largest of `count` floats (−∞ when empty), with eight-lane compare-and-blend partial
    /// maxima: a scalar max loop is a serial dependency chain, and the standard library's
    /// `pointwiseMax` on SIMD8 runs lane by lane.
    @inline(__always)
    public static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= n {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            acc.replace(with: v, where: v .> acc)
            j += 8
        }
        var m = acc[0]
        for l in 1..<8 where acc[l] > m { m = acc[l] }
        while j < n { if x[j] > m { m = x[j] }; j += 1 }
        return m
    }

    /// GELU (erf form) x·Φ(x) into `dst`, and Φ(x) + x·φ(x) into `slope` when given; Φ from
    /// Abramowitz–Stegun 7.1.26 (|erf error| ≤ 1.5e-7), vectorised. In parallel for long arrays.
    public static func gelu(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>?,
                            count: Int) {
        Threading.parallelFor(count, minChunk: 1 << 14) { r in
            azoo_gelu(src + r.lowerBound, dst + r.lowerBound, slope.map { $0 + r.lowerBound }, r.count)
        }
    }

    /// ReLU's pullback: `dx = out <= 0 ? 0 : g` (PyTorch's threshold_backward). `dx` may equal `g`.
    public static func reluBackward(_ g: UnsafePointer<Float>, _ out: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int) {
        Threading.parallelFor(count, minChunk: 1 << 15) { r in
            azoo_relu_backward(g + r.lowerBound, out + r.lowerBound, dx + r.lowerBound, r.count)
        }
    }

    /// dst = exp(src − shift) over one contiguous row; returns the row's sum (softmax).
    @inline(__always)
    public static func expShiftSum(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        azoo_exp_shift_sum(src, dst, count, shift)
    }
}
