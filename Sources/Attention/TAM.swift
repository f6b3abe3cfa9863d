import Foundation
import NN
import TensorCore

/// Temporal Adaptive Module (catalogue D26): a local branch re-weights every frame with a 1-D temporal convolution
/// of the spatially pooled clip, a global branch predicts a per-(video, channel) temporal kernel that is then
/// convolved along time.
///
/// Paper: Liu et al., "TAM: Temporal Adaptive Module for Video Recognition", arXiv 2020 (ICCV 2021),
/// https://arxiv.org/abs/2005.06803
/// ```
/// z[n, c, t]  = mean_hw X[n·T + t, c]                                   (N, C, T)
/// K[n, c, :]  = softmax(W₂ ReLU(BN1d(W₁ z[n, c, :])))                  G: Linear T→2T, Linear 2T→k  (N, C, k)
/// A[n, c, :]  = σ(Conv1d₁ₓ₁(ReLU(BN1d(Conv1dₖ(z[n])))))[c]             L: C → C/4 → C                (N, C, T)
/// Y[n·T + t, c] = Σⱼ K[n, c, j] · A[n, c, t+j−p] · X[n·T + t+j−p, c]    zero outside 0 ≤ t+j−p < T
/// ```
/// Shapes: (N·T, C, H, W) → (N·T, C, H, W), T = n_segment, the batch a multiple of n_segment (the official
/// clip layout: frames of a video are consecutive batch entries).
/// State-dict keys: `G.0.weight`, `G.1.*` (BatchNorm1d over 2T), `G.3.weight`, `L.0.weight`, `L.1.*`
/// (BatchNorm1d over C/4), `L.3.weight`.
/// Reference: official liu-zhy/temporal-adaptive-module `ops/temporal_module.py` `TAM(in_channels, n_segment,
/// kernel_size=3, stride=1, padding=1)`; PyTorch transcription in `scripts/fixtures/zoo_seed003B2.py`.
/// The reference reshapes the clip to (1, N·C, T, H·W) for a grouped `conv2d` with a (k, 1) kernel per group; we
/// evaluate the local re-weighting and that convolution as one differentiable primitive on the (N·T, C, H, W)
/// layout (`temporalAdaptiveConv`), equal up to rounding.
/// Contract: stride 1 and padding = kernel_size // 2 with an odd kernel_size (otherwise the reference's final
/// `view` fails: the output would not have T frames).
public final class TAM: Module, @unchecked Sendable {
    public let g: Sequential
    public let l: Sequential
    public let inChannels: Int, nSegment: Int, kernelSize: Int, stride: Int, padding: Int

    public override class var stateKeyOverrides: [String: String] { ["g": "G", "l": "L"] }

    public init(inChannels: Int = 64, nSegment: Int = 8, kernelSize: Int = 3, stride: Int = 1, padding: Int = 1) {
        precondition(inChannels >= 4 && nSegment >= 1 && kernelSize >= 1 && kernelSize % 2 == 1 && stride == 1
                     && padding == kernelSize / 2,
                     "TAM: needs in_channels ≥ 4, an odd kernel_size, stride 1 and padding = kernel_size // 2")
        self.inChannels = inChannels
        self.nSegment = nSegment
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        g = Sequential(Linear(inFeatures: nSegment, outFeatures: nSegment * 2, bias: false),
                       BatchNorm1d(numFeatures: nSegment * 2), ReLU(),
                       Linear(inFeatures: nSegment * 2, outFeatures: kernelSize, bias: false), Softmax(dim: -1))
        l = Sequential(Conv1d(inChannels: inChannels, outChannels: inChannels / 4, kernelSize: kernelSize,
                              padding: kernelSize / 2, bias: false),
                       BatchNorm1d(numFeatures: inChannels / 4), ReLU(),
                       Conv1d(inChannels: inChannels / 4, outChannels: inChannels, kernelSize: 1, bias: false), Sigmoid())
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[0] % nSegment == 0 && x.shape[1] == inChannels,
                   "TAM: expected an (N·T, \(inChannels), H, W) input with the batch a multiple of n_segment \(nSegment), got \(x.shape)")
        let t = nSegment, n = x.shape[0] / t, c = x.shape[1]
        let z = x.mean(axes: [2, 3]).reshaped([n, t, c]).permuted([0, 2, 1])          // (N, C, T)
        let kernel = g(z.reshaped([n * c, t])).reshaped([n, c, kernelSize])
        let activation = l(z)
        return x.temporalAdaptiveConv(activation: activation, kernel: kernel, padding: padding)
    }
}

extension Tensor {
    /// TAM's adaptive temporal convolution on an (N·T, C, H, W) clip batch with the local activation A (N, C, T)
    /// and kernels K (N, C, k): `Y[n·T+t, c] = Σⱼ K[n,c,j]·A[n,c,s]·X[n·T+s, c]`, s = t+j−padding (zero outside).
    /// Pullback, with u[n,s,c] = Σⱼ K[n,c,j]·G[n·T+s−j+p, c]:  ∂X[n·T+s, c] = A[n,c,s]·u,  ∂A[n,c,s] = ⟨X[n·T+s, c], u⟩,
    /// ∂K[n,c,j] = Σₜ A[n,c,s]·⟨X[n·T+s, c], G[n·T+t, c]⟩.
    public func temporalAdaptiveConv(activation: Tensor, kernel: Tensor, padding: Int) -> Tensor {
        let n = activation.shape[0], c = activation.shape[1], t = activation.shape[2], k = kernel.shape[2]
        checkShape(rank == 4 && shape[0] == n * t && shape[1] == c && kernel.shape == [n, c, k],
                   "temporalAdaptiveConv: input \(shape), activation \(activation.shape), kernel \(kernel.shape) do not fit")
        let hw = shape[2] * shape[3], p = padding
        let out = Tensor(uninitializedShape: shape)
        let xp = UncheckedPointer(data), ap = UncheckedPointer(activation.data), kp = UncheckedPointer(kernel.data)
        let op = UncheckedPointer(out.data)
        // Row (n, s, c) of the input starts at ((n·T + s)·C + c)·hw.
        @Sendable func row(_ b: Int, _ s: Int, _ ch: Int) -> Int { ((b * t + s) * c + ch) * hw }
        RowKernels.forRows(n * c, rowLength: t * hw * k) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: t * k) { wbuf in
                let w = wbuf.baseAddress!
                for pair in range {
                    let b = pair / c, ch = pair % c
                    // w[s·k + j] = K[j]·A[s]: the weight of input frame s in output frame s − j + p.
                    for s in 0..<t { for j in 0..<k { w[s * k + j] = kp.p[pair * k + j] * ap.p[pair * t + s] } }
                    for tt in 0..<t {
                        let o = op.p + row(b, tt, ch)
                        var first = true
                        for j in 0..<k {
                            let s = tt + j - p
                            guard s >= 0 && s < t else { continue }
                            let wv = w[s * k + j], src = xp.p + row(b, s, ch)
                            if first { for i in 0..<hw { o[i] = wv * src[i] }; first = false } else { for i in 0..<hw { o[i] += wv * src[i] } }
                        }
                        if first { for i in 0..<hw { o[i] = 0 } }
                    }
                }
            }
        }
        let x = self
        return Tensor.differentiable("temporalAdaptiveConv", inputs: [self, activation, kernel], output: out) { g in
            let gx = Tensor(uninitializedShape: x.shape), ga = Tensor(uninitializedShape: activation.shape)
            let gk = Tensor(uninitializedShape: kernel.shape)
            let gp = UncheckedPointer(g.data), xq = UncheckedPointer(x.data), aq = UncheckedPointer(activation.data)
            let kq = UncheckedPointer(kernel.data)
            let gxp = UncheckedPointer(gx.data), gap = UncheckedPointer(ga.data), gkp = UncheckedPointer(gk.data)
            RowKernels.forRows(n * c, rowLength: 2 * t * hw * k) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: hw) { ubuf in
                    let u = ubuf.baseAddress!
                    for pair in range {
                        let b = pair / c, ch = pair % c
                        for j in 0..<k { gkp.p[pair * k + j] = 0 }
                        for s in 0..<t {
                            let xs = xq.p + row(b, s, ch), a = aq.p[pair * t + s]
                            // u = Σⱼ K[j]·G[t = s − j + p]; ∂K[j] += A[s]·⟨X[s], G[t]⟩
                            var first = true
                            for j in 0..<k {
                                let tt = s - j + p
                                guard tt >= 0 && tt < t else { continue }
                                let gr = gp.p + row(b, tt, ch), kv = kq.p[pair * k + j]
                                gkp.p[pair * k + j] += a * RowKernels.dot(xs, gr, hw)
                                if first { for i in 0..<hw { u[i] = kv * gr[i] }; first = false } else { for i in 0..<hw { u[i] += kv * gr[i] } }
                            }
                            let gxs = gxp.p + row(b, s, ch)
                            if first {
                                for i in 0..<hw { gxs[i] = 0 }
                                gap.p[pair * t + s] = 0
                            } else {
                                for i in 0..<hw { gxs[i] = a * u[i] }
                                gap.p[pair * t + s] = RowKernels.dot(xs, u, hw)
                            }
                        }
                    }
                }
            }
            return [gx, ga, gk]
        }
    }
}
