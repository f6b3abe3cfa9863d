import Backbones
import NN
import TensorCore

/// What the training loop, the evaluation and the CLI need of a detector (Faster R-CNN and any
/// later one). Images are RGB float (3, H, W) tensors in [0, 1] at their own sizes; the detector
/// normalises, resizes and batches them itself (torchvision's GeneralizedRCNNTransform).
public protocol Detector: Module {
    /// Train mode: the loss parts by torchvision's names (`loss_classifier`, `loss_box_reg`,
    /// `loss_objectness`, `loss_rpn_box_reg`), each a scalar tensor on the tape.
    func losses(images: [Tensor], targets: [DetectionTarget]) -> [(name: String, value: Tensor)]
    /// Eval mode: per image, detections in the original image's pixels, torchvision's order.
    func detect(images: [Tensor]) -> [DetectorOutput]
    /// How it was built (written to a run's config.json, checked on resume).
    var config: DetectorConfig { get }
}

/// Detections of one image: `boxes` (K·4, x1 y1 x2 y2 in original pixels), scores, labels 1…K−1.
public struct DetectorOutput: Sendable {
    public var boxes: [Float]
    public var scores: [Float]
    public var labels: [Int]
    public init(boxes: [Float], scores: [Float], labels: [Int]) {
        self.boxes = boxes; self.scores = scores; self.labels = labels
    }
    public var count: Int { labels.count }
}

/// Every setting of a detector, with torchvision's `fasterrcnn_resnet50_fpn` defaults. Codable:
/// a run folder's config.json holds it, and a resume from another configuration is refused.
public struct DetectorConfig: Codable, Sendable, Equatable {
    public var backbone = "resnet50"
    /// Attention plugin specs for the backbone's slot (`AttentionPlugin(spec:)`).
    public var plugins: [String] = []
    /// torchvision's `trainable_backbone_layers` (0…5).
    public var trainableBackboneLayers = 3
    /// `FrozenBatchNorm2d` (torchvision's detection default) or `BatchNorm2d`.
    public var normLayer = "FrozenBatchNorm2d"
    /// Classes including the background (torchvision's `num_classes`).
    public var numClasses = 91
    public var minSize = [800]
    public var maxSize = 1333
    public var imageMean: [Float] = [0.485, 0.456, 0.406]
    public var imageStd: [Float] = [0.229, 0.224, 0.225]
    public var anchorSizes: [[Int]] = [[32], [64], [128], [256], [512]]
    public var aspectRatios: [Float] = [0.5, 1.0, 2.0]
    public var rpnPreNMSTopNTrain = 2000, rpnPreNMSTopNTest = 1000
    public var rpnPostNMSTopNTrain = 2000, rpnPostNMSTopNTest = 1000
    public var rpnNMSThreshold: Float = 0.7
    public var rpnFgIoU: Float = 0.7, rpnBgIoU: Float = 0.3
    public var rpnBatchSizePerImage = 256
    public var rpnPositiveFraction: Float = 0.5
    public var rpnScoreThreshold: Float = 0
    public var boxScoreThreshold: Float = 0.05
    public var boxNMSThreshold: Float = 0.5
    public var boxDetectionsPerImage = 100
    public var boxFgIoU: Float = 0.5, boxBgIoU: Float = 0.5
    public var boxBatchSizePerImage = 512
    public var boxPositiveFraction: Float = 0.25
    /// Box-head regression loss: smooth-l1 (torchvision, β = 1/9) | l1 | iou | giou | diou | ciou.
    public var boxLoss = "smooth-l1"
    /// NMS of the RPN and of postprocessing, from the Boxes NMS family (greedy = torchvision).
    public var nms = "greedy"
    /// Narrower networks than torchvision's, for small CPUs (nil = torchvision's value; optional so
    /// configurations written before they existed still read): the backbone's `base_channels`
    /// (stem and stage widths, 64), the FPN's `out_channels` (256) and `TwoMLPHead`'s
    /// `representation_size` (1024).
    public var backboneBaseChannels: Int?
    public var fpnChannels: Int?
    public var representationSize: Int?

    public init() {}
}
