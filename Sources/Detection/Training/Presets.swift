import Foundation

/// Named settings of `attnzoo train --preset` (command-line options override them).
public enum TrainingPreset: String, CaseIterable, Sendable {
    /// Faster R-CNN R50-FPN as mmdetection's `faster_rcnn_r50_fpn_1x_coco` (seed 002's config):
    /// 1333×800, 12 epochs, ×0.1 at 8 and 11, linear warm-up 500 iterations from 0.001, SGD 0.9 /
    /// 1e-4, lr 0.02 × batch / 16, flip 0.5; torchvision's detector defaults otherwise.
    case seed002
    /// Small enough for a 2-core CPU: ResNet-18 FPN trained from scratch (BatchNorm2d, every stage
    /// trainable), shorter side 256/288/320 (max 533), anchors 16…256, fewer RPN proposals and
    /// RoI samples, batch 4, lr 0.02, 8 epochs (×0.1 at 6 and 7), warm-up 100 iterations, gradient
    /// clipping at 10, no weight decay on norms and biases.
    case tiny
    /// `make run`'s: seed 002's ablation on a generated set of 800 + 200 images within minutes on
    /// 2 cores. A narrow ResNet-18 (base 16 channels: stages of 16…128) with a 32-channel FPN and
    /// a 256-wide box head, from scratch (BatchNorm2d); shorter side 192 (max 342: 640×360 → 341×192),
    /// anchors 12…192 with an extra 0.25 ratio for the flat road markings; 600/300 proposals in
    /// training, 300/100 in evaluation, 128 RPN and 64 RoI samples per image; batch 4, lr 0.03,
    /// 6 epochs, cosine after 50 warm-up iterations, gradient clipping at 10, no weight decay on
    /// norms and biases.
    case small

    /// The preset's detector and training settings (`numClasses` is set from the dataset later).
    /// `batchSize` given: the learning rate scales linearly from the preset's (seed002: 0.02 at 16).
    public func settings(batchSize: Int? = nil) -> (DetectorConfig, TrainingConfig) {
        var d = DetectorConfig(), t = TrainingConfig()
        switch self {
        case .seed002:
            d.backbone = "resnet50"; d.minSize = [800]; d.maxSize = 1333
            t.epochs = 12; t.batchSize = 16; t.lr = 0.02; t.milestones = [8, 11]
            t.warmupIterations = 500; t.warmupRatio = 0.001
        case .tiny:
            d.backbone = "resnet18"; d.normLayer = "BatchNorm2d"; d.trainableBackboneLayers = 5
            d.minSize = [256, 288, 320]; d.maxSize = 533
            d.anchorSizes = [[16], [32], [64], [128], [256]]
            d.rpnPreNMSTopNTrain = 1000; d.rpnPostNMSTopNTrain = 500
            d.rpnPreNMSTopNTest = 500; d.rpnPostNMSTopNTest = 300
            d.boxBatchSizePerImage = 128
            t.epochs = 8; t.batchSize = 4; t.lr = 0.02; t.milestones = [6, 7]
            t.warmupIterations = 100; t.warmupRatio = 0.001; t.gradClipNorm = 10
            t.decayNormsAndBiases = false; t.evalBatchSize = 4
        case .small:
            d.backbone = "resnet18"; d.normLayer = "BatchNorm2d"; d.trainableBackboneLayers = 5
            d.backboneBaseChannels = 16; d.fpnChannels = 32; d.representationSize = 256
            d.minSize = [192]; d.maxSize = 342
            d.anchorSizes = [[12], [24], [48], [96], [192]]; d.aspectRatios = [0.25, 0.5, 1.0, 2.0]
            d.rpnPreNMSTopNTrain = 600; d.rpnPostNMSTopNTrain = 300
            d.rpnPreNMSTopNTest = 300; d.rpnPostNMSTopNTest = 100
            d.rpnBatchSizePerImage = 128; d.boxBatchSizePerImage = 64
            t.epochs = 6; t.batchSize = 4; t.lr = 0.03; t.schedule = "cosine"; t.milestones = []
            t.warmupIterations = 50; t.warmupRatio = 0.001; t.gradClipNorm = 10
            t.decayNormsAndBiases = false; t.evalBatchSize = 4
        }
        if let batchSize {
            t.lr *= Float(batchSize) / Float(t.batchSize)
            t.batchSize = batchSize
        }
        return (d, t)
    }

    /// The generated traffic-sign set an experiment uses when no `--data` is given:
    /// (train, val, width, height). `small`: 800 + 200 images; the others: the seed's 2226 + 500.
    public var defaultDataset: (train: Int, val: Int, width: Int, height: Int) {
        self == .small ? (800, 200, 640, 360) : (2226, 500, 640, 360)
    }
}

/// torchvision's names of our ResNet backbones for `resnet_fpn_backbone`.
let torchvisionBackbones: Set<String> = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                                          "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2", "wide_resnet101_2"]

/// The torchvision constructor call that builds the same detector, or nil when torchvision cannot
/// express it (attention plugins, another NMS or box loss, a backbone torchvision lacks):
/// `FasterRCNN(resnet_fpn_backbone(...), **kwargs)` with AnchorGenerator for non-default anchors.
public func torchvisionArguments(_ c: DetectorConfig) -> [String: Any]? {
    guard c.plugins.isEmpty, c.nms == "greedy", c.backboneBaseChannels ?? 64 == 64, c.fpnChannels ?? 256 == 256,
          c.representationSize ?? 1024 == 1024, c.boxLoss == "smooth-l1", torchvisionBackbones.contains(c.backbone) else { return nil }
    let norm = c.normLayer == "BatchNorm2d" ? "torch.nn.BatchNorm2d" : "torchvision.ops.misc.FrozenBatchNorm2d"
    let kwargs: [String: Any] = [
        "num_classes": c.numClasses, "min_size": c.minSize, "max_size": c.maxSize,
        "image_mean": c.imageMean.map(Double.init), "image_std": c.imageStd.map(Double.init),
        "rpn_pre_nms_top_n_train": c.rpnPreNMSTopNTrain, "rpn_pre_nms_top_n_test": c.rpnPreNMSTopNTest,
        "rpn_post_nms_top_n_train": c.rpnPostNMSTopNTrain, "rpn_post_nms_top_n_test": c.rpnPostNMSTopNTest,
        "rpn_nms_thresh": Double(c.rpnNMSThreshold), "rpn_fg_iou_thresh": Double(c.rpnFgIoU), "rpn_bg_iou_thresh": Double(c.rpnBgIoU),
        "rpn_batch_size_per_image": c.rpnBatchSizePerImage, "rpn_positive_fraction": Double(c.rpnPositiveFraction),
        "rpn_score_thresh": Double(c.rpnScoreThreshold), "box_score_thresh": Double(c.boxScoreThreshold),
        "box_nms_thresh": Double(c.boxNMSThreshold), "box_detections_per_img": c.boxDetectionsPerImage,
        "box_fg_iou_thresh": Double(c.boxFgIoU), "box_bg_iou_thresh": Double(c.boxBgIoU),
        "box_batch_size_per_image": c.boxBatchSizePerImage, "box_positive_fraction": Double(c.boxPositiveFraction),
    ]
    let anchors = c.anchorSizes.map { "(" + $0.map(String.init).joined(separator: ", ") + ",)" }.joined(separator: ", ")
    let ratios = "(" + c.aspectRatios.map { "\($0)" }.joined(separator: ", ") + ")"
    let defaultAnchors = DetectorConfig().anchorSizes == c.anchorSizes && DetectorConfig().aspectRatios == c.aspectRatios
    var call = "torchvision.models.detection.FasterRCNN(resnet_fpn_backbone(backbone_name='\(c.backbone)', weights=None, "
        + "norm_layer=\(norm), trainable_layers=\(c.trainableBackboneLayers)), **kwargs"
    if !defaultAnchors {
        call += ", rpn_anchor_generator=AnchorGenerator(sizes=(\(anchors)), aspect_ratios=(\(ratios),) * \(c.anchorSizes.count))"
    }
    call += ")"
    return ["call": call, "kwargs": kwargs, "anchor_sizes": c.anchorSizes, "aspect_ratios": c.aspectRatios.map(Double.init),
            "backbone": ["backbone_name": c.backbone, "trainable_layers": c.trainableBackboneLayers, "norm_layer": norm]]
}
