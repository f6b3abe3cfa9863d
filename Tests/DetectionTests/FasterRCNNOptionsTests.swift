import Foundation
import NN
import TensorCore
import TestSupport
import Backbones
import Testing
@testable import Detection

@Suite("Faster R-CNN options and configuration errors")
struct FasterRCNNOptionsTests {
    @Test("bad configurations throw one line naming the field")
    func badConfig() throws {
        func expectError(_ change: (inout DetectorConfig) -> Void, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
            var c = DetectorConfig()
            c.backbone = "resnet18"
            change(&c)
            do {
                _ = try buildDetector(c)
                Issue.record("expected an error containing '\(needle)'", sourceLocation: sourceLocation)
            } catch {
                let s = "\(error)"
                #expect(s.contains(needle) && !s.contains("\n"), "\(s)", sourceLocation: sourceLocation)
            }
        }
        expectError({ $0.backbone = "resnet7" }, "backbone: unknown backbone 'resnet7'")
        expectError({ $0.plugins = ["nosuch"] }, "plugin 'nosuch'")
        expectError({ $0.nms = "fancy" }, "nms: unknown NMS 'fancy'")
        expectError({ $0.boxLoss = "huber" }, "boxLoss: unknown box regression loss 'huber'")
        expectError({ $0.boxLoss = "ciou:nope" }, "boxLoss: unknown box regression loss 'ciou:nope'")
        expectError({ $0.numClasses = 1 }, "numClasses: expected ≥ 2")
        expectError({ $0.anchorSizes = [[32], [64]] }, "anchorSizes: 2 levels for the 5 FPN maps")
        expectError({ $0.anchorSizes = [[32, 40], [64], [128], [256], [512]] }, "anchorSizes: every level needs the same number")
        expectError({ $0.normLayer = "GroupNorm" }, "normLayer: unknown norm layer 'GroupNorm'")
        expectError({ $0.minSize = [] }, "minSize: expected positive sizes")
        expectError({ $0.trainableBackboneLayers = 6 }, "trainableBackboneLayers: expected 0…5")
        #expect(try BoxRegressionLoss(name: "ciou:mmdet") == .iou(.ciou, .mmdet))
    }

    @Test("Cluster-NMS equals greedy NMS and Cluster-DIoU equals DIoU-NMS in the RPN and postprocessing; rescoring NMS keeps the top detection")
    func nmsFamily() throws {
        let f = try FasterRCNNFixture("frcnn_r18")
        func run(_ nms: String) throws -> [DetectorOutput] {
            var c = f.config
            c.nms = nms
            let m = try f.model(c)
            m.eval()
            return m.detect(images: f.images)
        }
        let greedy = try run("greedy"), cluster = try run("cluster"), diou = try run("diou"), clusterDIoU = try run("cluster-diou")
        for i in 0..<greedy.count {
            expectSameDetections(greedy[i], try f.detections(i), "greedy image \(i)")
            expectSameDetections(cluster[i], greedy[i], "cluster vs greedy image \(i)", boxTolerance: 0, scoreTolerance: 0)
            expectSameDetections(clusterDIoU[i], diou[i], "cluster-diou vs diou image \(i)", boxTolerance: 0, scoreTolerance: 0)
        }
        // DIoU-NMS suppresses less than IoU-NMS at the same threshold (the penalty only lowers the
        // criterion), so it changes the result here.
        #expect(zip(diou, greedy).contains { $0.scores != $1.scores || $0.boxes != $1.boxes })
        // The other methods: postprocessing of torchvision's logits, deltas and proposals keeps
        // torchvision's best detection with its score (the RPN's NMS changes the proposals
        // end to end); results come by decreasing score; Soft-NMS keeps decayed boxes.
        let sizes = try f.fx.array("image_sizes").asInt64().map { Int($0) }
        let resized = (0..<f.sizes.count).map { (sizes[2 * $0], sizes[2 * $0 + 1]) }
        let proposals = try (0..<f.sizes.count).map { try f.fx.tensor("proposals.\($0)").scalars }
        for method in ["soft-linear", "soft-gaussian", "matrix", "cluster-weighted"] {
            var c = f.config
            c.nms = method
            let m = try FasterRCNN(config: c)
            let out = try m.roiHeads.postprocess(logits: try f.fx.tensor("class_logits"), deltas: try f.fx.tensor("box_regression"),
                                                 proposals: proposals, imageSizes: resized)
            let endToEnd = try run(method)
            for i in 0..<greedy.count {
                let tv = try f.detections(i)
                #expect(out[i].labels.first == tv.labels[0] && abs(out[i].scores[0] - tv.scores[0]) <= 1e-6,
                        "\(method) image \(i): the best detection is kept with its score")
                #expect(zip(out[i].scores, out[i].scores.dropFirst()).allSatisfy { $0 >= $1 }, "\(method) image \(i): by decreasing score")
                if method.hasPrefix("soft") { #expect(out[i].scores.count == c.boxDetectionsPerImage, "\(method) keeps decayed boxes") }
                #expect(endToEnd[i].count > 0 && zip(endToEnd[i].scores, endToEnd[i].scores.dropFirst()).allSatisfy { $0 >= $1 },
                        "\(method) image \(i) end to end")
            }
        }
    }

    @Test("any backbone and attention plugin: keys under backbone.body, torchvision's keys elsewhere, a forward runs")
    func pluginBackbone() throws {
        var c = DetectorConfig()
        c.backbone = "resnet18"; c.plugins = ["se:stages=3,4"]; c.numClasses = 4; c.minSize = [96]; c.maxSize = 128
        let m = try FasterRCNN(config: c)
        let plain = try FasterRCNN(config: { var p = c; p.plugins = []; return p }())
        let extra = Set(m.stateKeys).subtracting(plain.stateKeys)
        #expect(!extra.isEmpty && extra.allSatisfy { $0.hasPrefix("backbone.body.layer3.") || $0.hasPrefix("backbone.body.layer4.") }, "\(extra.sorted().prefix(4))")
        #expect(Set(plain.stateKeys).isSubset(of: m.stateKeys))
        m.eval()
        let d = m.detect(images: [Tensor.rand([3, 90, 120])])
        #expect(d.count == 1 && d[0].boxes.count == 4 * d[0].count)
        #expect(d[0].boxes.allSatisfy { $0 >= 0 && $0 <= 120 })
    }
}

@Test("conv3x3RowSplit (a single image as two row halves for the Winograd path) equals the convolution, forward and backward", arguments: [33, 40])
func conv3x3RowSplitMatches(_ height: Int) throws {
    let conv = RandomGenerator.withSeed(3) { Conv2d(inChannels: 32, outChannels: 32, kernelSize: 3, padding: 1) }
    let x = randomFeatures([1, 32, height, 20], seed: UInt64(height)).requiringGrad()
    let direct = conv(x)
    let split = conv3x3RowSplit(conv, x)
    expectClose(split, direct, rtol: 1e-4, atol: 1e-4, "forward, height \(height)")
    let g = randomFeatures(direct.shape, seed: 9)
    (direct * g).sum().backward()
    let gx = x.grad!, gw = conv.weight.grad!
    x.zeroGrad(); conv.weight.zeroGrad()
    (split * g).sum().backward()
    expectGradClose(x.grad, gx, "input gradient, height \(height)")
    expectGradClose(conv.weight.grad, gw, "weight gradient, height \(height)")
}
