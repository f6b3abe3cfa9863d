import Detection
import Foundation
import TensorCore

/// RoIAlign rows of issue 15 (same names, shapes and boxes as scripts/bench/detection_bench.py):
/// 1000 boxes, 7×7, sampling ratio 2, on one (2, 256, 50, 68) map and through MultiScaleRoIAlign
/// on a 4-level FPN pyramid of an 800 × 1088 batch.
func detectionBenchmarks() -> [Benchmark] {
    var list: [Benchmark] = []
    // boxes from a fixed formula (no RNG), so both sides pool the same regions
    func boxes(_ count: Int, maxSide: Int) -> [Tensor] {
        (0..<2).map { img in
            var v = [Float]()
            for j in 0..<(count / 2) {
                let i = 2 * j + img
                let x1 = Float(i * 37 % 1000), y1 = Float(i * 53 % 700)
                let w = Float(16 + i * 29 % (maxSide - 16)), h = Float(16 + i * 41 % (maxSide - 16))
                v += [x1, y1, x1 + w, y1 + h]
            }
            return Tensor(v, shape: [count / 2, 4])
        }
    }
    let single = RandomGenerator.withSeed(21) { Tensor.randn([2, 256, 50, 68]) }
    let singleBoxes = boxes(1000, maxSide: 300)
    list.append(Benchmark(name: "roi_align_2x256x50x68_1000", flops: 0) {
        _ = withNoGrad { try! single.roiAlign(boxes: singleBoxes, outputSize: (7, 7), spatialScale: 1.0 / 16, samplingRatio: 2) }
    })
    let singleGrad = single.requiringGrad()
    list.append(Benchmark(name: "roi_align_2x256x50x68_1000_fwd_bwd", flops: 0) {
        let y = try! singleGrad.roiAlign(boxes: singleBoxes, outputSize: (7, 7), spatialScale: 1.0 / 16, samplingRatio: 2)
        y.backward(Tensor.ones(like: y))
        singleGrad.zeroGrad()
    })
    list.append(Benchmark(name: "roi_align_2x256x50x68_1000_planar", flops: 0) {
        RoIAlignLayout.$current.withValue(.planar) {
            _ = withNoGrad { try! single.roiAlign(boxes: singleBoxes, outputSize: (7, 7), spatialScale: 1.0 / 16, samplingRatio: 2) }
        }
    })
    list.append(Benchmark(name: "roi_align_2x256x50x68_1000_fwd_bwd_planar", flops: 0) {
        RoIAlignLayout.$current.withValue(.planar) {
            let y = try! singleGrad.roiAlign(boxes: singleBoxes, outputSize: (7, 7), spatialScale: 1.0 / 16, samplingRatio: 2)
            y.backward(Tensor.ones(like: y))
            singleGrad.zeroGrad()
        }
    })
    let pyramid = [(200, 272), (100, 136), (50, 68), (25, 34)].enumerated().map { l, hw in
        ("\(l)", RandomGenerator.withSeed(UInt64(30 + l)) { Tensor.randn([2, 256, hw.0, hw.1]) })
    }
    let fpnBoxes = boxes(1000, maxSide: 520)
    let pooler = MultiScaleRoIAlign(featmapNames: ["0", "1", "2", "3"], outputSize: 7, samplingRatio: 2)
    let shapes = [(800, 1088), (800, 1088)]
    list.append(Benchmark(name: "msroialign_fpn4_1000", flops: 0) {
        _ = withNoGrad { try! pooler(pyramid, boxes: fpnBoxes, imageShapes: shapes) }
    })
    let pyramidGrad = pyramid.map { ($0.0, $0.1.requiringGrad()) }
    list.append(Benchmark(name: "msroialign_fpn4_1000_fwd_bwd", flops: 0) {
        let y = try! pooler(pyramidGrad, boxes: fpnBoxes, imageShapes: shapes)
        y.backward(Tensor.ones(like: y))
        for p in pyramidGrad { p.1.zeroGrad() }
    })
    // each layout forced on every map (the automatic choice above picks per map)
    for (suffix, layout) in [("nhwc", RoIAlignLayout.channelsLast), ("planar", .planar)] {
        list.append(Benchmark(name: "msroialign_fpn4_1000_\(suffix)", flops: 0) {
            RoIAlignLayout.$current.withValue(layout) { _ = withNoGrad { try! pooler(pyramid, boxes: fpnBoxes, imageShapes: shapes) } }
        })
        list.append(Benchmark(name: "msroialign_fpn4_1000_fwd_bwd_\(suffix)", flops: 0) {
            RoIAlignLayout.$current.withValue(layout) {
                let y = try! pooler(pyramidGrad, boxes: fpnBoxes, imageShapes: shapes)
                y.backward(Tensor.ones(like: y))
                for p in pyramidGrad { p.1.zeroGrad() }
            }
        })
    }
    return list
}
