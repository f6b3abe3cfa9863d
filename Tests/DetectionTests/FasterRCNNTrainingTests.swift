import Foundation
import NN
import TensorCore
import TestSupport
import Testing
@testable import Detection

@Suite("Faster R-CNN training losses against torchvision")
struct FasterRCNNTrainingTests {
    /// The fixture samples every anchor and RoI (batch sizes ≥ the candidates), so torchvision's
    /// random sampler takes all and the losses are deterministic.
    func setUp(boxLoss: String = "smooth-l1") throws -> (FasterRCNNFixture, FasterRCNN, [Tensor], [DetectionTarget]) {
        let f = try FasterRCNNFixture("frcnn_r18_train")
        var c = f.config
        c.boxLoss = boxLoss
        let model = try f.model(c)
        model.train()
        let targets = try f.sizes.indices.map { i in
            DetectionTarget(boxes: try f.fx.tensor("target.\(i).boxes").scalars,
                            labels: try f.fx.array("target.\(i).labels").asInt64().map { Int($0) },
                            imageId: i + 1, originalWidth: f.sizes[i].1, originalHeight: f.sizes[i].0)
        }
        return (f, model, f.images, targets)
    }

    @Test("the four losses and sampled parameter gradients equal torchvision's model.train() values")
    func losses() throws {
        let (f, model, images, targets) = try setUp()
        let losses = try model.trainingLosses(images: images, targets: targets)
        #expect(losses.map(\.name) == ["loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"])
        for (name, value) in losses {
            expectClose(value.reshaped([1]), try f.fx.tensor("loss." + name), rtol: 1e-4, atol: 1e-6, name)
        }
        losses.map(\.value).dropFirst().reduce(losses[0].value, +).backward()
        let params = Dictionary(uniqueKeysWithValues: model.namedParameters())
        for key in try f.fx.json("grad_keys") as! [String] {
            let g = try #require(params[key]?.grad, "\(key) has a gradient")
            // Through the whole network float32 summation order differs: entries within 1e-3
            // relative or 1% of the gradient's RMS (small entries are sums of cancelling terms).
            try f.expectSampled(g, "grad." + key, rtol: 1e-3, atol: 0, atolOfRMS: 1e-2, normRtol: 1e-3)
        }
        // trainable_backbone_layers = 3: conv1 and layer1 are frozen, as in torchvision.
        #expect(params["backbone.body.layer1.0.conv1.weight"]?.requiresGrad == false)
        #expect(params["backbone.body.layer2.0.conv1.weight"]?.requiresGrad == true)
    }

    @Test("loss_box_reg with l1 and the IoU losses equals torchvision.ops' losses on decoded boxes",
          arguments: ["l1", "iou", "giou", "diou", "ciou"])
    func boxLosses(_ kind: String) throws {
        let (f, model, images, targets) = try setUp(boxLoss: kind)
        let losses = try model.trainingLosses(images: images, targets: targets)
        let box = try #require(losses.first { $0.name == "loss_box_reg" }).value
        expectClose(box.reshaped([1]), try f.fx.tensor("loss_box_reg.\(kind)"), rtol: 1e-4, atol: 1e-6, "loss_box_reg \(kind)")
        box.backward()
        let g = try #require(model.roiHeads.boxPredictor.bboxPred.weight.grad)
        try f.expectSampled(g, "grad_box_reg.\(kind)", rtol: 1e-3, atol: 0, atolOfRMS: 1e-2, normRtol: 1e-3)
    }
}

@Test("training with images without boxes (negatives): finite losses; no box losses when no image has a box")
func fasterRCNNNegativeImages() throws {
    var c = DetectorConfig()
    c.backbone = "resnet18"; c.numClasses = 3; c.minSize = [64]; c.maxSize = 96
    let model = RandomGenerator.withSeed(7) { try! FasterRCNN(config: c) }
    model.train()
    let images = RandomGenerator.withSeed(8) { [Tensor.rand([3, 64, 80]), Tensor.rand([3, 70, 64])] }
    let mixed = [DetectionTarget(boxes: [5, 6, 40, 50], labels: [2], width: 80, height: 64),
                 DetectionTarget(boxes: [], labels: [], width: 64, height: 70)]
    let losses = try model.trainingLosses(images: images, targets: mixed)
    #expect(losses.count == 4 && losses.allSatisfy { $0.value.scalars[0].isFinite && $0.value.scalars[0] >= 0 }, "\(losses.map { ($0.name, $0.value.scalars) })")
    let empty = mixed.map { DetectionTarget(boxes: [], labels: [], width: $0.originalWidth, height: $0.originalHeight) }
    let none = try model.trainingLosses(images: images, targets: empty)
    let byName = Dictionary(uniqueKeysWithValues: none.map { ($0.name, $0.value.scalars[0]) })
    #expect(byName["loss_box_reg"] == 0 && byName["loss_rpn_box_reg"] == 0)
    #expect(byName["loss_classifier"]! > 0 && byName["loss_objectness"]! > 0)
    none.dropFirst().map(\.value).reduce(none[0].value, +).backward()
    #expect(model.roiHeads.boxPredictor.clsScore.weight.grad != nil)
    #expect(throws: DetectionError.self) {
        try model.trainingLosses(images: images, targets: [DetectionTarget(boxes: [1, 2, 3], labels: [1], width: 80, height: 64), mixed[1]])
    }
}
