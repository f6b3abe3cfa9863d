import NN
import TensorCore

/// Global-Local Temporal Representation (catalogue D26): short-term cues from parallel dilated temporal
/// convolutions (DTP), long-term relations from temporal self-attention (TSA), then temporal average pooling.
///
/// Paper: Li et al., "Global-Local Temporal Representations For Video Person Re-Identification", ICCV 2019,
/// https://arxiv.org/abs/1908.10049
/// ```
/// F'  = [F, Conv_{r₁}(F), Conv_{r₂}(F), Conv_{r₃}(F)]          DTP: kernel 3 along time over all C, dilation rᵢ
/// M   = softmax_j(θ(F')ᵢ · φ(F')ⱼ)                              TSA: 1×1 convs to C' = (1 + B)·C / 2; (N, T, T)
/// F'' = BN(W(g(F') Mᵀ)) + F'                                    W: 1×1 conv back to (1 + B)·C
/// f   = mean_t F''                                              (N, (1 + B)·C), B = #dilations
/// ```
/// Shapes: (N, C, T) frame features → (N, (1 + len(dilations))·C) video feature.
/// State-dict keys: `feat{1…B}.weight` (C, 1, 3, C), `Nonlocal_block0.{g,theta,phi}.{weight,bias}`,
/// `Nonlocal_block0.W.0.{weight,bias}`, `Nonlocal_block0.W.1.*` (BatchNorm1d).
/// Reference: official ljn114514/GLTR `resnet.py` (the head after `self.feat`: `feat1..3` = `Conv2d(1, C,
/// kernel_size=(3, C), dilation=(r, 1), padding=(r, 0), bias=False)` on the (N, 1, T, C) features with r = 1, 2, 3,
/// concatenated with the features themselves, `Nonlocal_block0 = NonLocalBlock1D(4C)`, `.mean(dim=2)`) and
/// `NonLocalBlock1D.py`; PyTorch transcription in `scripts/fixtures/zoo_seed003B2.py`.
/// Each `feat` runs as a 1×1 convolution of time-shifted copies (one GEMM over all frames), and θ, φ and g as one
/// stacked 1×1 convolution; equal up to rounding.
/// Deviation: the input is channels-first (N, C, T) (the official head receives (N, T, C) and transposes it into
/// this layout as `x0`); the dilations are an argument (official: 1, 2, 3; the paper's text: 1, 2, 4); weights
/// use our default initialisation (official: normal(0, 0.001) for `feat*`, zero BatchNorm in `W`, as here).
public final class GLTR: Module, @unchecked Sendable {
    /// Embedded-Gaussian non-local block on (N, C, T): `z = BN(W(g(x)·softmax(θ(x)ᵀφ(x))ᵀ)) + x`.
    public final class NonLocalBlock1D: Module, @unchecked Sendable {
        public let g: Conv1d
        public let w: Sequential
        public let theta: Conv1d
        public let phi: Conv1d
        public let interChannels: Int

        public override class var stateKeyOverrides: [String: String] { ["w": "W"] }

        public init(inChannels: Int, interChannels: Int? = nil) {
            let ic = interChannels ?? Swift.max(inChannels / 2, 1)
            self.interChannels = ic
            g = Conv1d(inChannels: inChannels, outChannels: ic, kernelSize: 1)
            let bn = BatchNorm1d(numFeatures: inChannels)
            Init.zeros(bn.weight!)
            Init.zeros(bn.bias!)
            w = Sequential(Conv1d(inChannels: ic, outChannels: inChannels, kernelSize: 1), bn)
            theta = Conv1d(inChannels: inChannels, outChannels: ic, kernelSize: 1)
            phi = Conv1d(inChannels: inChannels, outChannels: ic, kernelSize: 1)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            // θ, φ and g read the same input: one 1×1 convolution with the three weights stacked.
            let ic = interChannels, convs = [theta, phi, g]
            let all = x.conv1d(weight: Tensor.cat(convs.map { $0.weight.value }, axis: 0),
                               bias: Tensor.cat(convs.map { $0.bias!.value }, axis: 0))
            let thetaX = all.slice(axis: 1, start: 0, end: ic), phiX = all.slice(axis: 1, start: ic, end: 2 * ic)
            let gX = all.slice(axis: 1, start: 2 * ic, end: 3 * ic)
            let f = thetaX.transposed(1, 2).bmm(phiX).softmax(axis: -1)          // (N, T, T)
            return w(gX.bmm(f.transposed(1, 2))) + x                              // y[c, i] = Σⱼ f[i, j] g[c, j]
        }
    }

    /// `feat1`, `feat2`, … (names as in the reference).
    public let dtp: [(String, Module)]
    public let nonlocalBlock0: NonLocalBlock1D
    public let inChannels: Int, dilations: [Int]

    public override class var stateKeyOverrides: [String: String] { ["dtp": "", "nonlocalBlock0": "Nonlocal_block0"] }

    public init(inChannels: Int = 128, dilations: [Int] = [1, 2, 3]) {
        precondition(inChannels > 0 && !dilations.isEmpty && dilations.allSatisfy({ $0 > 0 }),
                     "GLTR: invalid in_channels \(inChannels) or dilations \(dilations)")
        self.inChannels = inChannels
        self.dilations = dilations
        dtp = dilations.enumerated().map { i, r in
            ("feat\(i + 1)", Conv2d(inChannels: 1, outChannels: inChannels, kernelSize: (3, inChannels), padding: (r, 0),
                                    dilation: (r, 1), bias: false) as Module)
        }
        nonlocalBlock0 = NonLocalBlock1D(inChannels: inChannels * (1 + dilations.count))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 3 && x.shape[1] == inChannels, "GLTR: expected an (N, \(inChannels), T) input, got \(x.shape)")
        let c = inChannels, t = x.shape[2]
        // featᵢ is Conv2d(1, C, (3, C)) over the (N, 1, T, C) frames: output channel o at frame t is
        // Σₖ Σᵢ w[o, 0, k, i] · x[i, t + (k − 1)·r]. Evaluated as one 1×1 convolution of the three time-shifted copies
        // of x stacked along channels (k·C + i) with the weight read as (C, 3C): one GEMM over all N·T frames.
        let branches = zip(dtp, dilations).map { feat, r -> Tensor in
            let conv = feat.1 as! Conv2d
            let padded = x.padded([r, r])
            let taps = Tensor.cat((0..<3).map { padded.slice(axis: 2, start: $0 * r, end: $0 * r + t) }, axis: 1)
            return taps.conv1d(weight: conv.weight.value.reshaped([c, 3 * c, 1]))
        }
        return nonlocalBlock0(Tensor.cat([x] + branches, axis: 1)).mean(axis: 2)
    }
}
