@testable import Detection
import TensorCore
import TestSupport
import Testing

@Suite("RoIAlign and RoIPool")
struct RoIAlignTests {
    @Test("roi_align / roi_pool forward and input gradient equal torchvision's (every fixture case, both kernel layouts)",
          arguments: [RoIAlignLayout.automatic, .channelsLast, .planar])
    func parity(layout: RoIAlignLayout) throws {
        let fx = try Fixture("det_roi")
        let all = try cases(fx)
        #expect(all.count == 12)
        try RoIAlignLayout.$current.withValue(layout) { for c in all {
            let x = try fx.tensor("\(c.name).x").requiringGrad()
            let rois = try fx.tensor("\(c.name).rois"), gout = try fx.tensor("\(c.name).gout")
            let size = (c.int("ph"), c.int("pw"))
            let out = c.string("op") == "align"
                ? try x.roiAlign(boxes: rois, outputSize: size, spatialScale: c.float("scale"),
                                 samplingRatio: c.int("sampling"), aligned: c.bool("aligned"))
                : try x.roiPool(boxes: rois, outputSize: size, spatialScale: c.float("scale"))
            expectClose(out, try fx.tensor("\(c.name).out"), "\(c.name) output")
            (out * gout).sum().backward()
            let expected = try fx.tensor("\(c.name).gin")
            expectGradClose(x.grad ?? Tensor.zeros(x.shape), expected, "\(c.name) input gradient (\(layout))")
        } }
    }

    @Test("the per-image list form equals the (K, 5) form")
    func listForm() throws {
        let x = randomFeatures([2, 4, 9, 11], seed: 1)
        let b0 = Tensor([1, 1, 7, 6, 0, 2, 3, 9], shape: [2, 4]), b1 = Tensor([2, 0, 10, 8], shape: [1, 4])
        let rois = Tensor([0, 1, 1, 7, 6, 0, 0, 2, 3, 9, 1, 2, 0, 10, 8], shape: [3, 5])
        expectClose(try x.roiAlign(boxes: [b0, b1], outputSize: (2, 3), samplingRatio: 2),
                    try x.roiAlign(boxes: rois, outputSize: (2, 3), samplingRatio: 2), rtol: 0, atol: 0, "align list")
        expectClose(try x.roiPool(boxes: [b0, b1], outputSize: (2, 2)),
                    try x.roiPool(boxes: rois, outputSize: (2, 2)), rtol: 0, atol: 0, "pool list")
    }

    @Test("RoIAlign of a constant map is that constant inside the map", arguments: [false, true])
    func constantMap(aligned: Bool) throws {
        let x = Tensor.full(2.5, shape: [1, 37, 20, 30])
        let boxes = Tensor([0, 1, 2, 10, 15, 0, 3.5, 0.5, 28, 19, 0, 0, 0, 29, 19], shape: [3, 5])
        for sampling in [-1, 1, 2, 4] {
            let out = try x.roiAlign(boxes: boxes, outputSize: (7, 7), samplingRatio: sampling, aligned: aligned)
            expectClose(out, Tensor.full(2.5, shape: [3, 37, 7, 7]), "constant, sampling \(sampling)")
        }
    }

    @Test("finite-difference gradient check (aligned both ways, adaptive and fixed sampling, both layouts)",
          arguments: [RoIAlignLayout.channelsLast, .planar])
    func gradcheckRoIAlign(layout: RoIAlignLayout) {
        // boxes keep the samples off integer coordinates (the bilinear kinks)
        let boxes = Tensor([0, 0.3, 0.7, 4.1, 3.3, 1, 1.2, 0.4, 5.6, 4.9, 0, 2.2, 1.1, 3.7, 4.6], shape: [3, 5])
        let x = randomFeatures([2, 3, 5, 6], seed: 3)
        for aligned in [false, true] {
            for sampling in [-1, 2] {
                gradcheck("roi_align aligned \(aligned) sampling \(sampling) \(layout)", inputs: [x]) { t in
                    RoIAlignLayout.$current.withValue(layout) {
                        try! t[0].roiAlign(boxes: boxes, outputSize: (2, 2), samplingRatio: sampling, aligned: aligned)
                    }
                }
            }
        }
    }

    @Test("channel counts around the 64- and 16-lane blocks and more RoIs than workers agree with a scalar reference")
    func vectorPaths() throws {
        for c in [1, 15, 16, 17, 63, 64, 65, 81, 130] { try RoIAlignLayout.$current.withValue(c % 3 == 0 ? .planar : .channelsLast) {
            let x = randomFeatures([2, c, 6, 7], seed: UInt64(c))
            let boxes = RandomGenerator.withSeed(UInt64(100 + c)) { () -> Tensor in
                let u = Tensor.rand([9, 4], low: -2, high: 8).scalars
                var v = [Float]()
                for k in 0..<9 { v += [Float(k % 2), u[4 * k], u[4 * k + 1], u[4 * k] + abs(u[4 * k + 2]), u[4 * k + 1] + abs(u[4 * k + 3])] }
                return Tensor(v, shape: [9, 5])
            }
            let out = try x.roiAlign(boxes: boxes, outputSize: (3, 2), samplingRatio: 2, aligned: c % 2 == 0)
            expectClose(out, referenceRoIAlign(x, boxes, 3, 2, 2, c % 2 == 0), "C = \(c)")
        } }
    }

    @Test("empty box lists give (0, C, ph, pw) and a zero gradient")
    func emptyBoxes() throws {
        let x = randomFeatures([2, 3, 5, 5], seed: 4).requiringGrad()
        let out = try x.roiAlign(boxes: [Tensor.zeros([0, 4]), Tensor.zeros([0, 4])], outputSize: (2, 2))
        #expect(out.shape == [0, 3, 2, 2])
        out.sum().backward()
        expectClose(x.grad ?? Tensor.zeros(x.shape), Tensor.zeros(x.shape), "empty gradient")
        #expect(try x.roiPool(boxes: Tensor.zeros([0, 5]), outputSize: (2, 2)).shape == [0, 3, 2, 2])
    }

    @Test("x2 < x1: torchvision's results (a 1-pixel RoI when not aligned, zeros for an adaptive flipped side when aligned)")
    func flippedBoxes() throws {
        let x = randomFeatures([1, 2, 8, 8], seed: 5)
        let flipped = Tensor([0, 6, 1, 2, 5], shape: [1, 5]), onePixel = Tensor([0, 6, 1, 7, 5], shape: [1, 5])
        expectClose(try x.roiAlign(boxes: flipped, outputSize: (2, 2), samplingRatio: 2),
                    try x.roiAlign(boxes: onePixel, outputSize: (2, 2), samplingRatio: 2), "clamped side")
        // torchvision raises ("cannot create std::vector larger than max_size()"); we return zeros
        let out = try x.roiAlign(boxes: flipped, outputSize: (2, 2), aligned: true)
        expectClose(out, Tensor.zeros([1, 2, 2, 2]), rtol: 0, atol: 0, "aligned adaptive flipped")
    }

    @Test("bad input throws naming the argument", arguments: [
        ("nan", [0, .nan, 1, 2, 3] as [Float], "non-finite"),
        ("batch too large", [2, 0, 1, 2, 3], "batch index 2.0"),
        ("batch negative", [-1, 0, 1, 2, 3], "batch index -1.0"),
        ("batch fractional", [0.5, 0, 1, 2, 3], "batch index 0.5"),
    ])
    func badBoxes(label: String, row: [Float], fragment: String) {
        let x = randomFeatures([2, 1, 4, 4], seed: 6)
        for pool in [false, true] {
            do {
                let b = Tensor(row, shape: [1, 5])
                _ = pool ? try x.roiPool(boxes: b, outputSize: (2, 2)) : try x.roiAlign(boxes: b, outputSize: (2, 2))
                Issue.record("\(label): no error")
            } catch let e as DetectionError {
                #expect(e.description.hasPrefix("boxes: ") && e.description.contains(fragment), "\(label): \(e)")
            } catch { Issue.record("\(label): \(error)") }
        }
    }

    @Test("a box list count that does not match the batch, a wrong shape, a bad output size throw")
    func badShapes() throws {
        let x = randomFeatures([2, 1, 4, 4], seed: 7)
        #expect(throws: DetectionError("boxes: 1 box lists for a batch of 2 images (one list per image)")) {
            try x.roiAlign(boxes: [Tensor.zeros([1, 4])], outputSize: (2, 2))
        }
        #expect(throws: DetectionError("boxes[1]: expected a (K, 4) tensor of (x1, y1, x2, y2), got shape [1, 5]")) {
            try x.roiAlign(boxes: [Tensor.zeros([1, 4]), Tensor.zeros([1, 5])], outputSize: (2, 2))
        }
        #expect(throws: DetectionError("boxes: expected a (K, 5) tensor of (batch index, x1, y1, x2, y2), got shape [3, 4]")) {
            try x.roiPool(boxes: Tensor.zeros([3, 4]), outputSize: (2, 2))
        }
        #expect(throws: DetectionError.self) { try x.roiAlign(boxes: Tensor.zeros([1, 5]), outputSize: (0, 2)) }
        // coordinates the kernels cannot index, adaptive grids too large to tabulate
        #expect(throws: DetectionError("boxes: box 0 has coordinate 3e+09, beyond 2^30 feature pixels at spatialScale 1.0")) {
            try x.roiPool(boxes: Tensor([0, 0, 0, 3e9, 1], shape: [1, 5]), outputSize: (2, 2))
        }
        #expect(throws: DetectionError("boxes: box 0 needs 100000000 bilinear samples with adaptive sampling (more than 2^26); pass samplingRatio > 0")) {
            try x.roiAlign(boxes: Tensor([0, 0, 0, 1e4, 1e4], shape: [1, 5]), outputSize: (1, 1))
        }
        #expect(try x.roiAlign(boxes: Tensor([0, 0, 0, 1e4, 1e4], shape: [1, 5]), outputSize: (1, 1), samplingRatio: 2).shape == [1, 1, 1, 1])
        #expect(throws: DetectionError.self) { try x.roiAlign(boxes: Tensor.zeros([1, 5]), outputSize: (2, 2), spatialScale: 0) }
    }
}

/// torchvision's roi_align written as plain loops (NCHW, one sample at a time).
func referenceRoIAlign(_ x: Tensor, _ boxes: Tensor, _ ph: Int, _ pw: Int, _ sampling: Int, _ aligned: Bool,
                       scale: Float = 1) -> Tensor {
    let c = x.shape[1], h = x.shape[2], w = x.shape[3], k = boxes.shape[0]
    let b = boxes.scalars, v = x.scalars
    var out = [Float](repeating: 0, count: k * c * ph * pw)
    for r in 0..<k {
        let off: Float = aligned ? 0.5 : 0
        let sw = b[5 * r + 1] * scale - off, sh = b[5 * r + 2] * scale - off
        var rw = b[5 * r + 3] * scale - off - sw, rh = b[5 * r + 4] * scale - off - sh
        if !aligned { rw = max(rw, 1); rh = max(rh, 1) }
        let bh = rh / Float(ph), bw = rw / Float(pw)
        let gh = sampling > 0 ? sampling : Int((rh / Float(ph)).rounded(.up))
        let gw = sampling > 0 ? sampling : Int((rw / Float(pw)).rounded(.up))
        let count = Float(max(gh * gw, 1))
        for ch in 0..<c {
            let plane = Array(v[((Int(b[5 * r]) * c + ch) * h * w)...])
            for py in 0..<ph {
                for px in 0..<pw {
                    var acc: Float = 0
                    for iy in 0..<max(gh, 0) {
                        for ix in 0..<max(gw, 0) {
                            var y = sh + Float(py) * bh + (Float(iy) + 0.5) * bh / Float(gh)
                            var xx = sw + Float(px) * bw + (Float(ix) + 0.5) * bw / Float(gw)
                            if y < -1 || y > Float(h) || xx < -1 || xx > Float(w) { continue }
                            y = max(y, 0); xx = max(xx, 0)
                            var y0 = Int(y), x0 = Int(xx), y1 = y0 + 1, x1 = x0 + 1
                            if y0 >= h - 1 { y0 = h - 1; y1 = h - 1; y = Float(y0) }
                            if x0 >= w - 1 { x0 = w - 1; x1 = w - 1; xx = Float(x0) }
                            let ly = y - Float(y0), lx = xx - Float(x0)
                            acc += (1 - ly) * (1 - lx) * plane[y0 * w + x0] + (1 - ly) * lx * plane[y0 * w + x1]
                                + ly * (1 - lx) * plane[y1 * w + x0] + ly * lx * plane[y1 * w + x1]
                        }
                    }
                    out[((r * c + ch) * ph + py) * pw + px] = acc / count
                }
            }
        }
    }
    return Tensor(out, shape: [k, c, ph, pw])
}
