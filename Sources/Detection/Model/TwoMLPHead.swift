import NN
import TensorCore

/// The box head of Faster R-CNN with FPN, torchvision's `models.detection.faster_rcnn.TwoMLPHead`:
/// flatten → fc6 → ReLU → fc7 → ReLU.
/// Shapes: (K, C, 7, 7) → (K, representationSize). State-dict keys: `fc6.*`, `fc7.*`.
public final class TwoMLPHead: Module, @unchecked Sendable {
    public let fc6: Linear
    public let fc7: Linear

    public init(inChannels: Int, representationSize: Int) {
        fc6 = Linear(inFeatures: inChannels, outFeatures: representationSize)
        fc7 = Linear(inFeatures: representationSize, outFeatures: representationSize)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        fc7(fc6(x.flattened(startDim: 1)).relu()).relu()
    }
}

/// Class scores and per-class box deltas, torchvision's `FastRCNNPredictor`.
/// Shapes: (K, C) → logits (K, numClasses), deltas (K, 4·numClasses).
/// State-dict keys: `cls_score.*`, `bbox_pred.*`.
public final class FastRCNNPredictor: Module, @unchecked Sendable {
    public let clsScore: Linear
    public let bboxPred: Linear

    public init(inChannels: Int, numClasses: Int) {
        clsScore = Linear(inFeatures: inChannels, outFeatures: numClasses)
        bboxPred = Linear(inFeatures: inChannels, outFeatures: numClasses * 4)
        super.init()
    }

    public func predict(_ x: Tensor) -> (logits: Tensor, deltas: Tensor) {
        let x = x.rank > 2 ? x.flattened(startDim: 1) : x
        return (clsScore(x), bboxPred(x))
    }
}
