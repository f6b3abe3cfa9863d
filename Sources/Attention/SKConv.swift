import NN
import TensorCore

/// Selective Kernel convolution of seed 000 (catalogue D38 / C2), `SKConv(channels, stride=1, M=2, reduction=4)`.
///
/// Paper: Li et al., "Selective Kernel Networks", CVPR 2019, https://arxiv.org/abs/1903.06586
/// ```
/// Uᵢ = ReLU(BN(conv3×3, dilation 1+i, stride s (X)))     i = 0..<M
/// z  = conv1×1(ReLU(conv1×1(GAP(Σᵢ Uᵢ))))                 C → C/reduction → M·C
/// a  = softmax over the M branches of z viewed as (N, M, C)
/// Y  = Σᵢ aᵢ ⊙ Uᵢ
/// ```
/// Shapes: (N, C, H, W) → (N, C, ⌈H/s⌉, ⌈W/s⌉).
/// State-dict keys: `conv1.{i}.0.weight` (C, C, 3, 3), `conv1.{i}.1.*` (BN), `att.1.weight`, `att.1.bias`,
/// `att.3.weight`, `att.3.bias`.
/// Reference: seed 000 `SKConv`.
public final class SKConv: Module, @unchecked Sendable {
    /// The M branches: Sequential(conv3×3 dilated, BN, ReLU).
    public let conv1: [Sequential]
    /// Sequential(GAP, conv1×1, ReLU, conv1×1).
    public let att: Sequential
    public let channels: Int

    public init(channels: Int, stride: Int = 1, M: Int = 2, reduction: Int = 4) {
        self.channels = channels
        conv1 = (0..<M).map { i in
            Sequential(Conv2d(inChannels: channels, outChannels: channels, kernelSize: 3, stride: stride,
                              padding: 1 + i, dilation: 1 + i, bias: false),
                       BatchNorm2d(numFeatures: channels), ReLU())
        }
        att = Sequential(AdaptiveAvgPool2d(1), Conv2d(inChannels: channels, outChannels: channels / reduction, kernelSize: 1), ReLU(),
                         Conv2d(inChannels: channels / reduction, outChannels: channels * M, kernelSize: 1))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], m = conv1.count
        let splited = conv1.map { $0(x) }
        let feats = splited.dropFirst().reduce(splited[0]) { $0 + $1 }
        let a = att(feats).reshaped(n, m, channels).softmax(axis: 1).reshaped(n, m * channels, 1, 1)
        let weights = a.split(size: channels, axis: 1)
        var out = weights[0] * splited[0]
        for i in 1..<m { out = out + weights[i] * splited[i] }
        return out
    }
}
