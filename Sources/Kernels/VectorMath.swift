import CKernels

/// Vectorised exp-based element-wise loops (C, AVX2/FMA when available: `Sources/CKernels`),
/// parallel over both cores for long arrays. `dst` may equal `src`.
public enum VectorMath {
    public enum Function: Sendable { case exp, sigmoid, tanh, silu, relu }

    public static func apply(_ f: Function, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        Threading.parallelFor(count, minChunk: 1 << 15) { r in
            let s = src + r.lowerBound, d = dst + r.lowerBound, n = r.count
            switch f {
            case .exp: azoo_exp(s, d, n)
            case .sigmoid: azoo_sigmoid(s, d, n)
            case .tanh: azoo_tanh(s, d, n)
            case .silu: azoo_silu(s, d, n)
            case .relu: azoo_relu(s, d, n)
            }
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
