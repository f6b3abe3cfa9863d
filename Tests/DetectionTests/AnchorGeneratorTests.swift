@testable import Detection
import TensorCore
import TestSupport
import Testing

@Suite("AnchorGenerator")
struct AnchorGeneratorTests {
    @Test("cell anchors and one image's anchors equal torchvision's (FPN defaults; several sizes per level, odd strides)")
    func parity() throws {
        let fx = try Fixture("det_anchors")
        for c in try cases(fx) {
            let gen = try AnchorGenerator(sizes: c.floatLists("sizes"), aspectRatios: c.floatLists("ratios"))
            for l in 0..<gen.cellAnchors.count {
                #expect(gen.cellAnchors[l] == (try fx.tensor("\(c.name).cell\(l)")).scalars, "\(c.name) cell anchors \(l)")
            }
            let image = c.ints("image")
            let anchors = try gen.anchors(imageSize: (image[0], image[1]), gridSizes: c.intLists("grids").map { ($0[0], $0[1]) })
            expectClose(anchors, try fx.tensor("\(c.name).anchors"), rtol: 0, atol: 0, "\(c.name) anchors")
        }
    }

    @Test("mmdet-style options: exact base sizes, centre offset, size-major order")
    func mmdetOptions() throws {
        let gen = try AnchorGenerator(sizes: [[8, 16]], aspectRatios: [[0.5, 2]], roundBaseAnchors: false, centerOffset: 0.5, scaleMajor: true)
        let h = Float(0.5).squareRoot(), w = 1 / h
        #expect(gen.cellAnchors[0][0...3] == [-w * 8 / 2, -h * 8 / 2, w * 8 / 2, h * 8 / 2])  // size 8, ratio 0.5 first
        let a = gen.gridAnchors(level: 0, gridSize: (1, 2), stride: (4, 4))
        // second cell, first anchor: centred at (1.5·4, 0.5·4)
        #expect(a[16] == -w * 4 + 6 && a[17] == -h * 4 + 2)
        #expect(gen.anchorsPerLocation == [4])
    }

    @Test("bad configuration and grid counts throw naming the argument")
    func badInput() throws {
        #expect(throws: DetectionError("aspectRatios: 2 lists for 3 levels of sizes")) {
            try AnchorGenerator(sizes: [[32], [64], [128]], aspectRatios: [[1], [2]])
        }
        #expect(throws: DetectionError("sizes[0]: expected positive finite sizes, got [0.0]")) { try AnchorGenerator(sizes: [[0]]) }
        let gen = try AnchorGenerator(sizes: [[32], [64]], aspectRatios: [[1]])
        #expect(throws: DetectionError("gridSizes: 1 feature maps for 2 levels of sizes and aspect ratios")) {
            try gen.anchors(imageSize: (64, 64), gridSizes: [(8, 8)])
        }
    }
}
