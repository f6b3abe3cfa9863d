import Kernels
import NN
import TensorCore

/// DANet position attention module (catalogue D34), official `PAM_Module`.
///
/// Paper: Fu et al., "Dual Attention Network for Scene Segmentation", CVPR 2019, https://arxiv.org/abs/1809.02983
/// ```
/// Q = conv_q(X), K = conv_k(X) ∈ ℝ^{C/8 × HW},  V = conv_v(X) ∈ ℝ^{C × HW}
/// A = softmax_j(Qᵀ K)   (HW × HW),   Y = γ · V Aᵀ + X,   γ initialised to 0
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), any H, W.
/// State-dict keys: `gamma` (1), `query_conv.weight`/`.bias` (C/8, C, 1, 1), `key_conv.*`, `value_conv.*` (C, C, 1, 1).
/// Reference: official junfu1115/DANet `encoding/nn/da_att.py` `PAM_Module(in_dim)`.
/// `V Aᵀ` with its softmax is one fused differentiable primitive (`DANetKernels.positionAttention`).
public final class PAMModule: Module, @unchecked Sendable {
    public let gamma: Parameter
    public let queryConv: Conv2d
    public let keyConv: Conv2d
    public let valueConv: Conv2d

    public init(inDim: Int = 512) {
        gamma = Parameter(Tensor.zeros([1]))
        queryConv = Conv2d(inChannels: inDim, outChannels: inDim / 8, kernelSize: 1)
        keyConv = Conv2d(inChannels: inDim, outChannels: inDim / 8, kernelSize: 1)
        valueConv = Conv2d(inChannels: inDim, outChannels: inDim, kernelSize: 1)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "PAM_Module: expected a (N, C, H, W) input, got \(x.shape)")
        let b = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3]
        let q = queryConv(x).reshaped(b, -1, hw), k = keyConv(x).reshaped(b, -1, hw)
        let v = valueConv(x).reshaped(b, c, hw)
        return gamma.value * DANetKernels.positionAttention(query: q, key: k, value: v).reshaped(x.shape) + x
    }
}

/// DANet channel attention module (catalogue D34), official `CAM_Module`.
///
/// Paper: Fu et al., "Dual Attention Network for Scene Segmentation", CVPR 2019, https://arxiv.org/abs/1809.02983
/// ```
/// F = reshape(X) ∈ ℝ^{C × HW},  E = F Fᵀ,  A = softmax_j(max_j E − E)
/// Y = γ · A F + X,   γ initialised to 0
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), any H, W.
/// State-dict keys: `gamma` (1).
/// Reference: official junfu1115/DANet `encoding/nn/da_att.py` `CAM_Module(in_dim)` (`in_dim` is unused there too).
/// Quirk: the max-minus energy ("energy_new") is copied; its max sends the gradient to the first maximal index as `torch.max(dim)`.
/// `A F` with its energy and softmax is one fused differentiable primitive (`DANetKernels.channelAttention`); the
/// energy F Fᵀ is symmetric, so only its upper triangle is computed (`symmetricProductSerial`, one image per worker):
/// forward (2,512,28,28) 9.7 → 7.5 ms.
public final class CAMModule: Module, @unchecked Sendable {
    public let gamma: Parameter
    public let chanelIn: Int

    public init(inDim: Int = 512) {
        chanelIn = inDim
        gamma = Parameter(Tensor.zeros([1]))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "CAM_Module: expected a (N, C, H, W) input, got \(x.shape)")
        let b = x.shape[0], c = x.shape[1]
        return gamma.value * DANetKernels.channelAttention(x.reshaped(b, c, -1)).reshaped(x.shape) + x
    }
}

/// Fused DANet attention products on raw storage (BLAS GEMMs with transposed operands, no permuted
/// copies, row softmax with eight-lane reductions), each with its hand-written pullback.
enum DANetKernels {
    /// out = V · softmax_rows(Qᵀ K)ᵀ for Q, K (B, d, n) and V (B, c, n) → (B, c, n).
    /// With A the attention and G the output gradient: ∂V = G A, ∂A = Gᵀ V, ∂E = A ⊙ (∂A − rowsum(∂A ⊙ A)),
    /// ∂Q = K ∂Eᵀ, ∂K = Q ∂E.
    static func positionAttention(query q: Tensor, key k: Tensor, value v: Tensor) -> Tensor {
        let b = q.shape[0], d = q.shape[1], n = q.shape[2], c = v.shape[1]
        let attention = Tensor(uninitializedShape: [b, n, n]), out = Tensor(uninitializedShape: [b, c, n])
        MACCounter.record(b * n * n * (d + c))   // energy Qᵀ·K and output V·Aᵀ
        for i in 0..<b {
            let a = attention.data + i * n * n
            sgemm(transA: true, transB: false, m: n, n: n, k: d, alpha: 1, a: q.data + i * d * n, lda: n,
                  b: k.data + i * d * n, ldb: n, beta: 0, c: a, ldc: n)
            softmaxRows(a, rows: n, length: n)
            sgemm(transA: false, transB: true, m: c, n: n, k: n, alpha: 1, a: v.data + i * c * n, lda: n,
                  b: a, ldb: n, beta: 0, c: out.data + i * c * n, ldc: n)
        }
        return Tensor.differentiable("pamAttention", inputs: [q, k, v], output: out) { g in
            let gq = Tensor(uninitializedShape: q.shape), gk = Tensor(uninitializedShape: k.shape)
            let gv = Tensor(uninitializedShape: v.shape), ge = Tensor(uninitializedShape: [n, n])
            for i in 0..<b {
                let a = attention.data + i * n * n, gi = g.data + i * c * n, vi = v.data + i * c * n
                sgemm(transA: false, transB: false, m: c, n: n, k: n, alpha: 1, a: gi, lda: n, b: a, ldb: n,
                      beta: 0, c: gv.data + i * c * n, ldc: n)
                sgemm(transA: true, transB: false, m: n, n: n, k: c, alpha: 1, a: gi, lda: n, b: vi, ldb: n,
                      beta: 0, c: ge.data, ldc: n)
                softmaxRowsBackward(a, gradient: ge.data, rows: n, length: n)
                sgemm(transA: false, transB: true, m: d, n: n, k: n, alpha: 1, a: k.data + i * d * n, lda: n,
                      b: ge.data, ldb: n, beta: 0, c: gq.data + i * d * n, ldc: n)
                sgemm(transA: false, transB: false, m: d, n: n, k: n, alpha: 1, a: q.data + i * d * n, lda: n,
                      b: ge.data, ldb: n, beta: 0, c: gk.data + i * d * n, ldc: n)
            }
            return [gq, gk, gv]
        }
    }

    /// out = softmax_rows(max_j E − E) · F with E = F Fᵀ, for F (B, c, n) → (B, c, n).
    /// Pullback: ∂F = Aᵀ G + (∂E + ∂Eᵀ) F with ∂E = −∂T plus Σ_j ∂T_j at each row's (first) maximum.
    static func channelAttention(_ f: Tensor) -> Tensor {
        let b = f.shape[0], c = f.shape[1], n = f.shape[2]
        let attention = Tensor(uninitializedShape: [b, c, c]), out = Tensor(uninitializedShape: [b, c, n])
        let argmax = UnsafeMutablePointer<Int>.allocate(capacity: max(1, b * c))
        defer { argmax.deallocate() }
        let att = UncheckedSendable(attention.data), fs = UncheckedSendable(UnsafePointer(f.data))
        let am = UncheckedSendable(argmax)
        MACCounter.record(2 * b * c * c * n)   // energy F·Fᵀ (counted whole, as an einsum would) and output A·F
        // The symmetric energy F·Fᵀ (half the multiply-adds) and its softmax, one image per worker.
        Threading.parallelFor(b) { images in
            for i in images {
                let a = att.value + i * c * c, fi = fs.value + i * c * n
                symmetricProductSerial(n: c, k: n, a: fi, lda: n, c: a, ldc: c)
                for r in 0..<c {
                    let row = a + r * c
                    var best = 0
                    for j in 1..<max(c, 1) where row[j] > row[best] { best = j }
                    am.value[i * c + r] = best
                    let top = row[best]
                    for j in 0..<c { row[j] = top - row[j] }
                }
                softmaxRows(a, rows: c, length: c, parallel: b < Threading.workerCount)
            }
        }
        for i in 0..<b {
            sgemm(transA: false, transB: false, m: c, n: n, k: c, alpha: 1, a: attention.data + i * c * c, lda: c,
                  b: f.data + i * c * n, ldb: n, beta: 0, c: out.data + i * c * n, ldc: n)
        }
        let tops = Array(UnsafeBufferPointer(start: argmax, count: b * c))
        return Tensor.differentiable("camAttention", inputs: [f], output: out) { g in
            let gf = Tensor(uninitializedShape: f.shape), ge = Tensor(uninitializedShape: [c, c]), gs = Tensor(uninitializedShape: [c, c])
            for i in 0..<b {
                let a = attention.data + i * c * c, fi = f.data + i * c * n, gi = g.data + i * c * n, gfi = gf.data + i * c * n
                sgemm(transA: true, transB: false, m: c, n: n, k: c, alpha: 1, a: a, lda: c, b: gi, ldb: n, beta: 0, c: gfi, ldc: n)
                sgemm(transA: false, transB: true, m: c, n: c, k: n, alpha: 1, a: gi, lda: n, b: fi, ldb: n, beta: 0, c: ge.data, ldc: c)
                softmaxRowsBackward(a, gradient: ge.data, rows: c, length: c)
                let e = ge.data, sym = gs.data
                for r in 0..<c {
                    let row = e + r * c
                    var total: Float = 0
                    for j in 0..<c { total += row[j]; row[j] = -row[j] }
                    row[tops[i * c + r]] += total
                }
                // ∂E + ∂Eᵀ first, so one GEMM gives the energy's contribution to ∂F.
                for r in 0..<c { for j in 0..<c { sym[r * c + j] = e[r * c + j] + e[j * c + r] } }
                sgemm(transA: false, transB: false, m: c, n: n, k: c, alpha: 1, a: sym, lda: c, b: fi, ldb: n, beta: 1, c: gfi, ldc: n)
            }
            return [gf]
        }
    }

    /// In-place softmax of `rows` contiguous rows of `length`, split over the worker threads (or on the
    /// calling thread when `parallel` is false: a caller already running one image per worker).
    static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, length: Int, parallel: Bool = true) {
        Threading.parallelFor(rows, minChunk: parallel ? max(1, 8192 / max(length, 1)) : Int.max) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: length) { scratch in
                let e = scratch.baseAddress!
                for r in range {
                    let row = p + r * length
                    let m = VectorMath.max(row, count: length)
                    // Out of place: the vector exp path needs distinct buffers.
                    let inv = 1 / VectorMath.expShiftSum(row, e, count: length, shift: m)
                    for j in 0..<length { row[j] = e[j] * inv }
                }
            }
        }
    }

    /// In place: g ← y ⊙ (g − Σ g ⊙ y) per row (softmax pullback).
    static func softmaxRowsBackward(_ y: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int, length: Int) {
        Threading.parallelFor(rows, minChunk: max(1, 8192 / max(length, 1))) { range in
            for r in range {
                let yr = y + r * length, gr = g + r * length
                let dot = SimAM.reduce(length, { SimAM.load(yr, $0) * SimAM.load(gr, $0) }, { yr[$0] * gr[$0] })
                for j in 0..<length { gr[j] = yr[j] * (gr[j] - dot) }
            }
        }
    }
}
