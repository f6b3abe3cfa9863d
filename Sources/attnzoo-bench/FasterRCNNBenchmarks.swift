import Detection
import Foundation
import NN
import TensorCore

/// Faster R-CNN rows of issue 16 (same names, configurations, images and targets as
/// scripts/bench/faster_rcnn_bench.py): inference per image and one training step (forward,
/// backward of the summed losses) per batch, torchvision's defaults (FrozenBatchNorm2d, 3
/// trainable backbone layers, num_classes 91), min_size = the image side. Models are built on
/// first use with torchvision's initialisation (RPN head normal(0.01), FPN kaiming_uniform(a=1)).
func fasterRCNNBenchmarks() -> [Benchmark] {
    final class Lazy: @unchecked Sendable {
        var models: [String: FasterRCNN] = [:]
        func model(_ backbone: String, side: Int, training: Bool) -> FasterRCNN {
            let key = "\(backbone)-\(side)-\(training)"
            if let m = models[key] { return m }
            var c = DetectorConfig()
            c.backbone = backbone; c.minSize = [side]
            let m = RandomGenerator.withSeed(16) { try! FasterRCNN(config: c) }
            if training { m.train() } else { m.eval() }
            models[key] = m
            return m
        }
    }
    let lazy = Lazy()
    /// A smooth deterministic image: ((7x + 13y + 29c) mod 256) / 255.
    func image(_ side: Int, _ index: Int, width: Int? = nil) -> Tensor {
        let w = width ?? side
        var v = [Float](repeating: 0, count: 3 * side * w)
        for c in 0..<3 { for y in 0..<side { for x in 0..<w {
            v[(c * side + y) * w + x] = Float((7 * x + 13 * y + 29 * c + 31 * index) % 256) / 255
        } } }
        return Tensor(v, shape: [3, side, w])
    }
    func targets(_ side: Int, _ count: Int) -> [DetectionTarget] {
        let s = Float(side)
        return (0..<count).map { i in
            DetectionTarget(boxes: [0.1 * s, 0.1 * s, 0.5 * s, 0.6 * s, 0.4 * s, 0.3 * s, 0.9 * s, 0.8 * s,
                                    0.2 * s, 0.5 * s, 0.45 * s, 0.95 * s],
                            labels: [1 + i % 90, 3, 17], imageId: i, width: side, height: side)
        }
    }
    var list: [Benchmark] = []
    final class Pyramid: @unchecked Sendable { lazy var c: [Tensor] = RandomGenerator.withSeed(5) {
        [(256, 128), (512, 64), (1024, 32), (2048, 16)].map { Tensor.randn([1, $0.0, $0.1, $0.1]) } } }
    let pyramid = Pyramid()
    // The FPN and the RPN head alone on C2…C5 of one 512×512 image (the part this target owns).
    list.append(Benchmark(name: "frcnn_r50_fpn_512_fpn_rpnhead_eval", flops: 0) {
        let m = lazy.model("resnet50", side: 512, training: false)
        _ = withNoGrad { m.rpn.head(m.backbone.fpn(pyramid.c)) }
    })
    for (backbone, short, side, batch) in [("resnet50", "r50", 512, 2), ("resnet18", "r18", 256, 8)] {
        list.append(Benchmark(name: "frcnn_\(short)_fpn_\(side)_eval", flops: 0) {
            let m = lazy.model(backbone, side: side, training: false)
            _ = m.detect(images: [image(side, 0)])
        })
        list.append(Benchmark(name: "frcnn_\(short)_fpn_\(side)_train_b\(batch)", flops: 0) {
            let m = lazy.model(backbone, side: side, training: true)
            let losses = try! m.trainingLosses(images: (0..<batch).map { image(side, $0) }, targets: targets(side, batch))
            losses.dropFirst().map(\.value).reduce(losses[0].value, +).backward()
            for p in m.parameters { p.zeroGrad() }
        })
    }
    // seed 002's scale: an 800×1067 image (min_size 800, max_size 1333), inference and a batch-1 step.
    list.append(Benchmark(name: "frcnn_r50_fpn_800x1067_eval", flops: 0) {
        let m = lazy.model("resnet50", side: 800, training: false)
        _ = m.detect(images: [image(800, 0, width: 1067)])
    })
    list.append(Benchmark(name: "frcnn_r50_fpn_800x1067_train_b1", flops: 0) {
        let m = lazy.model("resnet50", side: 800, training: true)
        let t = targets(800, 1).map { t in DetectionTarget(boxes: t.boxes, labels: t.labels, imageId: 0, width: 1067, height: 800) }
        let losses = try! m.trainingLosses(images: [image(800, 0, width: 1067)], targets: t)
        losses.dropFirst().map(\.value).reduce(losses[0].value, +).backward()
        for p in m.parameters { p.zeroGrad() }
    })
    return list
}
