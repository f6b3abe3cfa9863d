import NN
import TensorCore

/// Point-wise Spatial Attention of PSANet (catalogue D25): every position predicts a (2H−1)×(2W−1)-style mask
/// centred on itself, used to collect information from all positions (collect) and to distribute its own
/// information to all positions (distribute).
///
/// Paper: Zhao et al., "PSANet: Point-wise Spatial Attention Network for Scene Parsing", ECCV 2018,
/// https://hszhao.github.io/papers/eccv18_psanet.pdf
/// ```
/// x  = Shrink(ReLU(BN(conv1×1(X))))                     (N, mid, h, w), h = (H−1)/s + 1 (bilinear, align corners)
/// a  = conv1×1(ReLU(BN(conv1×1(x))))                   (N, mask_h·mask_w, h, w)
/// Aᶜ[p, q] = a[m(p − q), q],   Aᵈ[q, p] = a[m(p − q), q]    PSAMask: m = mask channel of offset p − q, 0 outside
/// y  = x · softmax_dim1(A) / normalization_factor       (N, mid, h·w) × (N, h·w, h·w)
/// Y  = X ‖ Up(ReLU(BN(conv1×1(yᶜ ‖ yᵈ))))              (N, 2C, H, W)
/// ```
/// `psa_type` 0 = collect only, 1 = distribute only, 2 = both (with their own `reduce_p` / `attention_p`).
/// `compact`: the attention map is the h·w-channel map itself (mask_h·mask_w = h·w), no PSAMask.
/// Shapes: (N, C, H, W) → (N, 2C, H, W), C = in_channels, (H−1) and (W−1) divisible by shrink_factor.
/// State-dict keys: `reduce.{0,1}.*`, `attention.{0,1,3}.*`, (`reduce_p.*`, `attention_p.*` for psa_type 2),
/// `proj.{0,1}.*`.
/// Reference: official hszhao/semseg `model/psanet.py` `PSA(in_channels, mid_channels, psa_type, compact,
/// shrink_factor, mask_h, mask_w, normalization_factor, psa_softmax)` with BatchNorm2d; the mask op
/// `lib/psa` `PSAMask` follows the compiled CPU/CUDA kernels (`psamask_{collect,distribute}_forward`): entries
/// outside the effective mask region are 0 and still enter the softmax (the "over-completed" mask cropped to
/// h·w × h·w). PyTorch transcription in `scripts/fixtures/zoo_seed003B2.py`, its `psa_mask` checked against a
/// loop transcription of the kernels.
/// Quirk: the slow Python loop left commented out in `lib/psa/functions/psamask.py` transposes the distribute
/// map once more (making it equal to collect); we follow the compiled op PSANet actually runs.
public final class PSA: Module, @unchecked Sendable {
    public let reduce: Sequential
    public let attention: Sequential
    public let reduceP: Sequential?
    public let attentionP: Sequential?
    public let proj: Sequential
    public let psaType: Int, compact: Bool, shrinkFactor: Int, maskH: Int, maskW: Int
    public let normalizationFactor: Float, psaSoftmax: Bool

    public init(inChannels: Int = 2048, midChannels: Int = 512, psaType: Int = 2, compact: Bool = false,
                shrinkFactor: Int = 2, maskH: Int = 59, maskW: Int = 59, normalizationFactor: Float? = 1.0,
                psaSoftmax: Bool = true) {
        precondition((0...2).contains(psaType), "PSA: psa_type \(psaType) is not 0, 1 or 2")
        precondition(shrinkFactor >= 1 && maskH >= 1 && maskW >= 1 && (compact || (maskH % 2 == 1 && maskW % 2 == 1)),
                     "PSA: needs shrink_factor ≥ 1 and odd mask sizes")
        self.psaType = psaType
        self.compact = compact
        self.shrinkFactor = shrinkFactor
        self.maskH = maskH
        self.maskW = maskW
        self.normalizationFactor = normalizationFactor ?? Float(maskH * maskW)
        self.psaSoftmax = psaSoftmax
        func reduceBranch() -> Sequential {
            Sequential(Conv2d(inChannels: inChannels, outChannels: midChannels, kernelSize: 1, bias: false),
                       BatchNorm2d(numFeatures: midChannels), ReLU())
        }
        func attentionBranch() -> Sequential {
            Sequential(Conv2d(inChannels: midChannels, outChannels: midChannels, kernelSize: 1, bias: false),
                       BatchNorm2d(numFeatures: midChannels), ReLU(),
                       Conv2d(inChannels: midChannels, outChannels: maskH * maskW, kernelSize: 1, bias: false))
        }
        reduce = reduceBranch()
        attention = attentionBranch()
        reduceP = psaType == 2 ? reduceBranch() : nil
        attentionP = psaType == 2 ? attentionBranch() : nil
        proj = Sequential(Conv2d(inChannels: midChannels * (psaType == 2 ? 2 : 1), outChannels: inChannels, kernelSize: 1,
                                 bias: false),
                          BatchNorm2d(numFeatures: inChannels), ReLU())
        super.init()
    }

    /// The reduced size (h, w) for an input of spatial size (H, W).
    public func shrunk(_ hw: (Int, Int)) -> (Int, Int) {
        ((hw.0 - 1) / shrinkFactor + 1, (hw.1 - 1) / shrinkFactor + 1)
    }

    private func shrink(_ x: Tensor) -> Tensor {
        guard shrinkFactor != 1 else { return x }
        return x.interpolate(size: shrunk((x.shape[2], x.shape[3])), mode: .bilinear, alignCorners: true)
    }

    /// x (N, c, h, w) aggregated with the attention map a: collect (`distribute` false) or distribute.
    private func attend(_ x: Tensor, _ a: Tensor, distribute: Bool) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], hw = h * w
        var y: Tensor
        if compact {
            y = a.reshaped([n, hw, hw])
            if distribute { y = y.transposed(1, 2) }
        } else {
            y = a.psaMask(distribute: distribute, maskH: maskH, maskW: maskW)
        }
        if psaSoftmax { y = y.softmax(axis: 1) }
        let out = x.reshaped([n, c, hw]).bmm(y).reshaped([n, c, h, w])
        return normalizationFactor == 1 ? out : out * (1 / normalizationFactor)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4, "PSA: expected a (N, C, H, W) input, got \(x.shape)")
        let hIn = x.shape[2], wIn = x.shape[3]
        checkShape((hIn - 1) % shrinkFactor == 0 && (wIn - 1) % shrinkFactor == 0,
                   "PSA: (H − 1) and (W − 1) of \(x.shape) must be divisible by shrink_factor \(shrinkFactor)")
        var y: Tensor
        if let reduceP, let attentionP {
            let xCol = shrink(reduce(x)), xDis = shrink(reduceP(x))
            y = Tensor.cat([attend(xCol, attention(xCol), distribute: false),
                            attend(xDis, attentionP(xDis), distribute: true)], axis: 1)
        } else {
            let r = shrink(reduce(x))
            y = attend(r, attention(r), distribute: psaType == 1)
        }
        y = proj(y)
        if shrinkFactor != 1 { y = y.interpolate(size: (hIn, wIn), mode: .bilinear, alignCorners: true) }
        return Tensor.cat([x, y], axis: 1)
    }
}

extension Tensor {
    /// PSANet's PSAMask (`lib/psa`, compiled CPU/CUDA semantics): (N, mask_h·mask_w, h, w) → (N, h·w, h·w).
    /// For position q = (qh, qw) and a position p whose offset from q lies inside the centred mask,
    /// collect writes `out[n, p, q]`, distribute `out[n, q, p]`, the value `self[n, m, qh, qw]` with
    /// m = (ph − qh + ⌊mask_h/2⌋)·mask_w + (pw − qw + ⌊mask_w/2⌋); every other entry is 0.
    /// Pullback: the same gather read backwards (mask channels whose offset falls outside get 0).
    public func psaMask(distribute: Bool, maskH: Int, maskW: Int) -> Tensor {
        checkShape(rank == 4 && shape[1] == maskH * maskW && maskH % 2 == 1 && maskW % 2 == 1,
                   "psaMask: input \(shape) is not (N, mask_h·mask_w, h, w) with odd mask \(maskH)×\(maskW)")
        let n = shape[0], h = shape[2], w = shape[3], hw = h * w, halfH = (maskH - 1) / 2, halfW = (maskW - 1) / 2
        let mc = maskH * maskW
        let out = Tensor.zeros([n, hw, hw])
        // Element strides of p and q in the output.
        let (ps, qs) = distribute ? (1, hw) : (hw, 1)
        let ip = UncheckedPointer(data), op = UncheckedPointer(out.data)
        @Sendable func visit(_ b: Int, _ body: (_ maskIndex: Int, _ outIndex: Int) -> Void) {
            for qh in 0..<h {
                for qw in 0..<w {
                    let q = qh * w + qw
                    for ph in Swift.max(0, qh - halfH)..<Swift.min(h, qh + halfH + 1) {
                        let mRow = (ph - qh + halfH) * maskW - qw + halfW
                        for pw in Swift.max(0, qw - halfW)..<Swift.min(w, qw + halfW + 1) {
                            body(((b * mc + mRow + pw) * hw) + q, b * hw * hw + (ph * w + pw) * ps + q * qs)
                        }
                    }
                }
            }
        }
        RowKernels.forRows(n, rowLength: hw * hw) { range in
            for b in range { visit(b) { op.p[$1] = ip.p[$0] } }
        }
        let inShape = shape
        return Tensor.differentiable("psaMask", inputs: [self], output: out) { g in
            let gi = Tensor.zeros(inShape)
            let gp = UncheckedPointer(g.data), gip = UncheckedPointer(gi.data)
            RowKernels.forRows(n, rowLength: hw * hw) { range in
                for b in range { visit(b) { gip.p[$0] = gp.p[$1] } }
            }
            return [gi]
        }
    }
}
