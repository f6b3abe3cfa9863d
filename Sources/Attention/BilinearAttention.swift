import NN
import TensorCore

/// Bilinear attention ("bi-attention", catalogue D15): second-order channel statistics per pixel,
/// an attention-in-attention gate over them, and a sigmoid mask on the input.
///
/// Paper: Fang, Zhou, Roy, Petersson, Harandi, "Bilinear Attention Networks for Person Retrieval",
/// ICCV 2019, https://openaccess.thecvf.com/content_ICCV_2019/html/Fang_Bilinear_Attention_Networks_for_Person_Retrieval_ICCV_2019_paper.html
/// ```
/// φ = ReLU(BN(conv1×1(X)))                      (N, c, H, W), c = inChannels / 16
/// x̃ = Vec(Utri(φφᵀ)) per pixel                   (N, c(c+1)/2, H, W), ordered by diagonal:
///      offset i = 0 … c−1, then j = 0 … c−1−i:   x̃ = φ_{j+i} · φ_j
/// x̂ = ω(GAP(x̃)) ⊙ ϕ(x̃)                          ω, ϕ = ReLU(BN(conv1×1(·))) → outChannels
/// Y = σ(x̂) ⊙ X
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C = inChannels = outChannels ≥ 16.
/// State-dict keys: `dimReduceLayer1.conv.conv.{weight,bias}`, `dimReduceLayer1.conv.bn.{weight,bias,running_mean,
/// running_var,num_batches_tracked}`, the same under `dimReduceLayer2` (ϕ) and `dimReduceLayer3` (ω).
/// Reference: official PengfeiFANGanu/Attention-in-Attention-Networks `models/bilinear_baseline_AIA.py`
/// `BilinearAttention(inChannels, outChannels)` with its `_dim_change` / `ConvBlock` layers.
/// The bilinear expansion Vec(Utri(φφᵀ)) is one fused differentiable primitive (the reference builds C×C outer
/// products per pixel and gathers c diagonals).
public final class BilinearAttention: Module, @unchecked Sendable {
    /// Conv (with bias) → BatchNorm2d → ReLU, the official `ConvBlock`.
    public final class ConvBlock: Module, @unchecked Sendable {
        public let conv: Conv2d
        public let bn: BatchNorm2d

        public init(inC: Int, outC: Int, k: Int, s: Int = 1, p: Int = 0) {
            conv = Conv2d(inChannels: inC, outChannels: outC, kernelSize: k, stride: s, padding: p)
            bn = BatchNorm2d(numFeatures: outC)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor { bn(conv(x)).relu() }
    }

    /// The official `_dim_change`: a 1×1 `ConvBlock` registered under the name `conv`.
    public final class DimChange: Module, @unchecked Sendable {
        public let conv: ConvBlock

        public init(inChannels: Int, outChannels: Int) {
            conv = ConvBlock(inC: inChannels, outC: outChannels, k: 1)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor { conv(x) }
    }

    public let dimReduceLayer1: DimChange
    public let dimReduceLayer2: DimChange
    public let dimReduceLayer3: DimChange

    public override class var stateKeyOverrides: [String: String] {
        ["dimReduceLayer1": "dimReduceLayer1", "dimReduceLayer2": "dimReduceLayer2", "dimReduceLayer3": "dimReduceLayer3"]
    }

    public init(inChannels: Int = 480, outChannels: Int = 480) {
        let mid = inChannels / 16, pairs = mid * (mid + 1) / 2
        dimReduceLayer1 = DimChange(inChannels: inChannels, outChannels: mid)
        dimReduceLayer2 = DimChange(inChannels: pairs, outChannels: outChannels)
        dimReduceLayer3 = DimChange(inChannels: pairs, outChannels: outChannels)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "BilinearAttention: expected a (N, C, H, W) input, got \(x.shape)")
        let pairs = dimReduceLayer1(x).bilinearUpperTriangle()
        let channel = dimReduceLayer3(pairs.adaptiveAvgPool2d(1))
        return (channel * dimReduceLayer2(pairs)).sigmoid() * x
    }
}

extension Tensor {
    /// Vec(Utri(φφᵀ)) per pixel of φ (N, c, H, W) → (N, c(c+1)/2, H, W), channel k running over the
    /// diagonals: offset i = 0 … c−1, then j = 0 … c−1−i, value φ_{j+i}·φ_j (the official diagonal order).
    /// Pullback: ∂φ_{j+i} += g_k·φ_j and ∂φ_j += g_k·φ_{j+i}.
    func bilinearUpperTriangle() -> Tensor {
        let n = shape[0], c = shape[1], hw = count / Swift.max(n * c, 1), pairs = c * (c + 1) / 2
        let out = Tensor(uninitializedShape: [n, pairs] + Array(shape.dropFirst(2)))
        let xp = UncheckedPointer(data), op = UncheckedPointer(out.data)
        RowKernels.forRows(n, rowLength: pairs * hw) { samples in
            for s in samples {
                let xs = xp.p + s * c * hw
                var o = op.p + s * pairs * hw
                for i in 0..<c {
                    for j in 0..<(c - i) {
                        let u = xs + (j + i) * hw, v = xs + j * hw
                        for k in 0..<hw { o[k] = u[k] * v[k] }
                        o += hw
                    }
                }
            }
        }
        let x = self
        return Tensor.differentiable("bilinearUpperTriangle", inputs: [self], output: out) { g in
            let gx = Tensor.zeros(x.shape)
            let gp = UncheckedPointer(g.data), xq = UncheckedPointer(x.data), gxp = UncheckedPointer(gx.data)
            RowKernels.forRows(n, rowLength: pairs * hw) { samples in
                for s in samples {
                    let xs = xq.p + s * c * hw, gxs = gxp.p + s * c * hw
                    var gr = gp.p + s * pairs * hw
                    for i in 0..<c {
                        for j in 0..<(c - i) {
                            let u = xs + (j + i) * hw, v = xs + j * hw, gu = gxs + (j + i) * hw, gv = gxs + j * hw
                            for k in 0..<hw {
                                let gk = gr[k]
                                gu[k] += gk * v[k]
                                gv[k] += gk * u[k]
                            }
                            gr += hw
                        }
                    }
                }
            }
            return [gx]
        }
    }
}
