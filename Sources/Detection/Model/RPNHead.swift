import NN
import TensorCore

/// The RPN's head (Ren et al. 2015, https://arxiv.org/abs/1506.01497), torchvision's
/// `models.detection.rpn.RPNHead`: per level a shared 3×3 conv + ReLU, then 1×1 convs to one
/// objectness logit and four box deltas per anchor.
/// Shapes: each (N, C, H, W) → objectness (N, A, H, W), deltas (N, 4A, H, W).
/// State-dict keys: `conv.<i>.0.{weight,bias}` (`conv_depth` Conv2dNormActivation blocks without
/// norm), `cls_logits.*`, `bbox_pred.*`. Initialisation as torchvision's: normal(std 0.01)
/// weights, zero biases.
public final class RPNHead: Module, @unchecked Sendable {
    public let conv: Sequential
    public let clsLogits: Conv2d
    public let bboxPred: Conv2d

    public init(inChannels: Int, numAnchors: Int, convDepth: Int = 1) {
        conv = Sequential((0..<convDepth).map { _ in
            Sequential(Conv2d(inChannels: inChannels, outChannels: inChannels, kernelSize: 3, padding: 1), ReLU())
        })
        clsLogits = Conv2d(inChannels: inChannels, outChannels: numAnchors, kernelSize: 1)
        bboxPred = Conv2d(inChannels: inChannels, outChannels: numAnchors * 4, kernelSize: 1)
        super.init()
        // torchvision: normal(std 0.01) weights, zero biases.
        for (key, p) in namedParameters() {
            if key.hasSuffix("weight") { Init.normal(p, std: 0.01) } else { Init.zeros(p) }
        }
    }

    public func callAsFunction(_ features: [Tensor]) -> (objectness: [Tensor], deltas: [Tensor]) {
        var objectness: [Tensor] = [], deltas: [Tensor] = []
        for f in features {
            let t = conv.layers.reduce(f) { fusedConv($1, $0, relu: true) ?? applyRowSplit($1, $0) }
            // Inference (`ConvNormFusion.allowed`: no tape, summary or observer of the two modules): both
            // 1×1 convolutions as one (the map read once), its output split.
            guard ConvNormFusion.allowed else {
                objectness.append(clsLogits(t)); deltas.append(bboxPred(t))
                continue
            }
            let a = clsLogits.weight.shape[0]
            let y = t.conv2d(weight: Tensor.cat([clsLogits.weight.value, bboxPred.weight.value], axis: 0),
                             bias: Tensor.cat([clsLogits.bias!.value, bboxPred.bias!.value], axis: 0))
            objectness.append(y.slice(axis: 1, start: 0, end: a)); deltas.append(y.slice(axis: 1, start: a))
        }
        return (objectness, deltas)
    }
}
