import NN
import TensorCore

/// Dense-and-implicit attention, one DIANet stage (catalogue D17): the blocks of a stage share one LSTMCell
/// fed with their GAP features, and its hidden state scales each block's output.
///
/// Paper: Huang et al., "DIANet: Dense-and-Implicit Attention Network", AAAI 2020, https://arxiv.org/abs/1905.10671
/// ```
/// for each block i:  org = x;  x = block_i(x);  (h, c) = LSTM(GAP(x), (h, c))   (zeros before block 0)
///                    x = x ⊙ h + org
/// ```
/// Blocks: 3×3 conv (no bias) + BatchNorm2d with the identity as `org` (a minimal residual body).
/// Shapes: (N, C, H, W) → (N, C, H, W).
/// State-dict keys: `blocks.<i>.0.weight`, `blocks.<i>.1.*` (BN), `lstm.{weight_ih,weight_hh,bias_ih,bias_hh}`.
/// Reference: seed 004 `DIA_Attention` (stage loop, shared `self.lstm`, `x = x * h + org`); official gbup-group/DIANet.
/// Deviation: the seed's stage wraps an external ResNet ModuleList and a custom multi-layer LSTM (`LSTMCell(C, C, 1)`
/// with bottleneck "small cells" and a sigmoid cell output); here the stage owns minimal conv+BN blocks and uses
/// a standard LSTMCell (`torch.nn.LSTMCell` semantics), as the catalogue row describes.
public final class DIAStage: Module, @unchecked Sendable {
    public let blocks: [Module]
    public let lstm: LSTMCell
    public let globalAvg = AdaptiveAvgPool2d(1)

    public init(channel: Int = 64, blocks: Int = 3) {
        self.blocks = (0..<blocks).map { _ in
            Sequential(Conv2d(inChannels: channel, outChannels: channel, kernelSize: 3, padding: 1, bias: false),
                       BatchNorm2d(numFeatures: channel))
        }
        lstm = LSTMCell(inputSize: channel, hiddenSize: channel)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        var x = input
        var state: (h: Tensor, c: Tensor)?
        for block in blocks {
            let org = x
            x = block(x)
            let n = x.shape[0], c = x.shape[1]
            let next = lstm(globalAvg(x).reshaped(n, c), state)
            state = next
            x = x * next.h.reshaped(n, c, 1, 1) + org
        }
        return x
    }
}
