import NN
import TensorCore

/// Global-Local Temporal Representation (catalogue D26): short-term cues from parallel dilated temporal
/// convolutions (DTP), long-term relations from temporal self-attention (TSA), then temporal average pooling.
///
/// Paper: Li et al., "Global-Local Temporal Representations For Video Person Re-Identification", ICCV 2019,
/// https://arxiv.org/abs/1908.10049
/// ```
/// F'  = [Conv1d_{k=3, dilation r}(F) for r in dilations]          concatenated: (N, B·C, T), B = #dilations
/// M   = softmax_j(B(F')ᵢ · C(F')ⱼ)                                 B, C, D: 1×1 conv B·C → B·C/α; (N, T, T)
/// F'' = W(D(F') Mᵀ) + F'                                           W: 1×1 conv B·C/α → B·C
/// f   = mean_t F''                                                 (N, B·C)
/// ```
/// Shapes: (N, C, T) frame features → (N, len(dilations)·C) video feature.
/// State-dict keys: `dtp.{i}.{weight,bias}`, `conv_b.*`, `conv_c.*`, `conv_d.*`, `conv_w.*`.
/// Reference: the paper's DTP/TSA equations (no official code is published); our PyTorch reference is
/// `scripts/fixtures/zoo_seed003B2.py` `GLTR(in_channels, dilations=(1, 2, 4), alpha=2)`.
/// Deviation: every DTP branch keeps C channels (so F' has B·C), the attention is softmax-normalised over the
/// attended frame, and the paper's final temporal convolution before pooling is not part of the module.
public final class GLTR: Module, @unchecked Sendable {
    public let dtp: [Conv1d]
    public let convB: Conv1d
    public let convC: Conv1d
    public let convD: Conv1d
    public let convW: Conv1d
    public let inChannels: Int, dilations: [Int], alpha: Int

    public init(inChannels: Int = 512, dilations: [Int] = [1, 2, 4], alpha: Int = 2) {
        let nd = inChannels * dilations.count
        precondition(inChannels > 0 && !dilations.isEmpty && dilations.allSatisfy({ $0 > 0 }) && alpha > 0 && nd / alpha > 0,
                     "GLTR: invalid in_channels \(inChannels), dilations \(dilations), alpha \(alpha)")
        self.inChannels = inChannels
        self.dilations = dilations
        self.alpha = alpha
        dtp = dilations.map { Conv1d(inChannels: inChannels, outChannels: inChannels, kernelSize: 3, padding: $0, dilation: $0) }
        convB = Conv1d(inChannels: nd, outChannels: nd / alpha, kernelSize: 1)
        convC = Conv1d(inChannels: nd, outChannels: nd / alpha, kernelSize: 1)
        convD = Conv1d(inChannels: nd, outChannels: nd / alpha, kernelSize: 1)
        convW = Conv1d(inChannels: nd / alpha, outChannels: nd, kernelSize: 1)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 3 && x.shape[1] == inChannels, "GLTR: expected an (N, \(inChannels), T) input, got \(x.shape)")
        let f = Tensor.cat(dtp.map { $0(x) }, axis: 1)
        let b = convB(f), c = convC(f), d = convD(f)
        let m = b.transposed(1, 2).bmm(c).softmax(axis: -1)          // (N, T, T)
        let f2 = convW(d.bmm(m.transposed(1, 2))) + f
        return f2.mean(axis: 2)
    }
}
