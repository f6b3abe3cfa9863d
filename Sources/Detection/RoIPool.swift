import Kernels
import TensorCore

extension Tensor {
    /// RoI max pooling (Girshick 2015), `torchvision.ops.roi_pool`: each box is rounded to
    /// whole feature pixels (`round(x · spatialScale)`, half away from zero), its sides forced to
    /// ≥ 1 pixel, split into `outputSize` bins by floor/ceil, and each bin takes its maximum; an
    /// empty bin (outside the map) gives 0 and no gradient.
    ///
    /// Shapes: self (N, C, H, W), boxes (K, 5) as (batch index, x1, y1, x2, y2) → (K, C, ph, pw).
    /// Differentiable in `self`: the gradient goes to the first maximal element of each bin (row
    /// by row), as torchvision's argmax does. Bad input as for `roiAlign`; boxes with `x2 < x1`
    /// are 1-pixel wide at x1, as in torchvision.
    public func roiPool(boxes: Tensor, outputSize: (Int, Int), spatialScale: Float = 1) throws -> Tensor {
        try checkRoIOperands("roi_pool", self, outputSize: outputSize, spatialScale: spatialScale)
        let rois = try RoIs(boxes, batchSize: shape[0])
        try rois.checkExtent(scale: spatialScale, outputSize: outputSize, samplingRatio: nil)
        return roiPool(rois, outputSize: outputSize, spatialScale: spatialScale)
    }

    /// `roiPool` with one (Kᵢ, 4) box tensor per image.
    public func roiPool(boxes: [Tensor], outputSize: (Int, Int), spatialScale: Float = 1) throws -> Tensor {
        try checkRoIOperands("roi_pool", self, outputSize: outputSize, spatialScale: spatialScale)
        let rois = try RoIs(boxes, batchSize: shape[0])
        try rois.checkExtent(scale: spatialScale, outputSize: outputSize, samplingRatio: nil)
        return roiPool(rois, outputSize: outputSize, spatialScale: spatialScale)
    }

    func roiPool(_ rois: RoIs, outputSize: (Int, Int), spatialScale: Float) -> Tensor {
        let c = shape[1], h = shape[2], w = shape[3]
        let k = rois.count, ph = outputSize.0, pw = outputSize.1, nb = ph * pw
        let out = Tensor(uninitializedShape: [k, c, ph, pw])
        let argmax = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(1, k * c * nb))
        let r = rois.values
        let x = UnsafePointer(data), o = out.data
        // bins of one RoI: [hstart, hend) × [wstart, wend) clipped to the map (torchvision's order)
        func bins(_ i: Int) -> (batch: Int, hs: [Int], he: [Int], ws: [Int], we: [Int]) {
            let sw = Int((r[5 * i + 1] * spatialScale).rounded()), sh = Int((r[5 * i + 2] * spatialScale).rounded())
            let ew = Int((r[5 * i + 3] * spatialScale).rounded()), eh = Int((r[5 * i + 4] * spatialScale).rounded())
            let bh = Float(Swift.max(eh - sh + 1, 1)) / Float(ph), bw = Float(Swift.max(ew - sw + 1, 1)) / Float(pw)
            func edges(_ count: Int, _ size: Float, _ start: Int, _ limit: Int) -> ([Int], [Int]) {
                ((0..<count).map { Swift.min(Swift.max(Int((Float($0) * size).rounded(.down)) + start, 0), limit) },
                 (0..<count).map { Swift.min(Swift.max(Int((Float($0 + 1) * size).rounded(.up)) + start, 0), limit) })
            }
            let (hs, he) = edges(ph, bh, sh, h), (ws, we) = edges(pw, bw, sw, w)
            return (Int(r[5 * i]), hs, he, ws, we)
        }
        let am = UncheckedSendable(argmax)
        Threading.parallelFor(k) { range in
            for i in range {
                let (b, hs, he, ws, we) = bins(i)
                for ch in 0..<c {
                    let plane = x + (b * c + ch) * h * w, base = (i * c + ch) * nb
                    for py in 0..<ph {
                        for px in 0..<pw {
                            let empty = he[py] <= hs[py] || we[px] <= ws[px]
                            var best: Float = empty ? 0 : -Float.greatestFiniteMagnitude, arg: Int32 = -1
                            if !empty {
                                for yy in hs[py]..<he[py] {
                                    for xx in ws[px]..<we[px] where plane[yy * w + xx] > best {
                                        best = plane[yy * w + xx]; arg = Int32(yy * w + xx)
                                    }
                                }
                            }
                            o[base + py * pw + px] = best
                            am.value[base + py * pw + px] = arg
                        }
                    }
                }
            }
        }
        let indices = Array(UnsafeBufferPointer(start: argmax, count: k * c * nb))
        argmax.deallocate()
        let inputShape = shape
        return Tensor.differentiable("roi_pool", inputs: [self], output: out) { gout in
            // dL/dx[argmax of bin] += g[bin]; channels split over the workers (disjoint planes)
            let gin = Tensor.zeros(inputShape)
            let g = UnsafePointer(gout.data), d = gin.data
            Threading.parallelFor(c) { chans in
                for i in 0..<k {
                    let b = Int(r[5 * i])
                    for ch in chans {
                        let plane = d + (b * c + ch) * h * w, base = (i * c + ch) * nb
                        for j in 0..<nb where indices[base + j] >= 0 { plane[Int(indices[base + j])] += g[base + j] }
                    }
                }
            }
            return [gin]
        }
    }
}
