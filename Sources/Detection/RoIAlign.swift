import CKernels
import Kernels
import TensorCore

/// Which kernel layout `roiAlign` and `MultiScaleRoIAlign` use per feature map.
public enum RoIAlignLayout: Sendable {
    /// Channels-last when the map's RoIs take more bilinear samples than half the map's pixels
    /// (`2·S > N·H·W`), planar otherwise (a single RoI on a large map, the finest FPN level).
    /// Measured (`make bench`, loaded 2-core machine): 1000 RoIs on (2, 256, 50, 68), S/(N·H·W) = 29:
    /// channels-last 28–31 ms, planar 80–95; MultiScaleRoIAlign's (2, 256, 200, 272) level,
    /// S/(N·H·W) = 0.25: planar saves its 111 MB transposed copy.
    case automatic
    /// Transpose the map to (N, H, W, C) and run the channels as 16-lane vectors.
    case channelsLast
    /// Gather from the (N, C, H, W) planes directly (no transposed copy).
    case planar

    /// Task-local override (benchmarks and tests): `RoIAlignLayout.$current.withValue(.planar) { … }`.
    @TaskLocal public static var current: RoIAlignLayout = .automatic

    /// The layout for a map of `pixels` = N·H·W and the RoIs `index` of `rois`.
    static func choose(pixels: Int, rois: [Float], index: [Int], geometry: RoIAlignGeometry, scale: Float) -> RoIAlignLayout {
        if current != .automatic { return current }
        let bins = geometry.height * geometry.width
        var samples = 0
        if geometry.samplingRatio > 0 {
            samples = index.count * bins * geometry.samplingRatio * geometry.samplingRatio
        } else {
            // adaptive grids, as the kernel sizes them (legacy clamp to 1 pixel; aligned never less)
            for r in index {
                let w = max((rois[5 * r + 3] - rois[5 * r + 1]) * scale, 1), h = max((rois[5 * r + 4] - rois[5 * r + 2]) * scale, 1)
                samples += bins * Int((h / Float(geometry.height)).rounded(.up)) * Int((w / Float(geometry.width)).rounded(.up))
                if 2 * samples > pixels { break }
            }
        }
        return 2 * samples > pixels ? .channelsLast : .planar
    }
}

/// The sampling geometry shared by `roiAlign` and `MultiScaleRoIAlign`.
struct RoIAlignGeometry {
    let height: Int, width: Int
    let samplingRatio: Int
    let aligned: Bool
}

extension Tensor {
    /// RoIAlign (He et al. 2017), `torchvision.ops.roi_align`: average of bilinear samples over a
    /// regular grid in each of `outputSize` bins of each box.
    ///
    /// - `boxes`: (K, 5) rows of (batch index, x1, y1, x2, y2) in image coordinates; the feature
    ///   coordinate is `x · spatialScale` (minus 0.5 when `aligned`).
    /// - `samplingRatio`: samples per bin along each axis; ≤ 0 (torchvision's −1) takes
    ///   `ceil(roi size / output size)` per RoI (adaptive).
    /// - `aligned`: false keeps torchvision's legacy geometry (no half-pixel shift, RoI sides
    ///   clamped to ≥ 1 feature pixel); true shifts by −0.5 and lets sides be any size.
    ///
    /// Shapes: self (N, C, H, W) → (K, C, outputSize.0, outputSize.1). Differentiable in `self`
    /// (torchvision has no box gradient either). Samples outside [−1, H] × [−1, W] add zero but
    /// count in the average; samples in [−1, 0) clamp to the border, as in torchvision.
    ///
    /// Bad input: a non-finite box value, a batch index that is not an integer in [0, N), a
    /// non-positive output size or scale throw `DetectionError` naming the argument. Boxes with
    /// `x2 < x1` (or `y2 < y1`) are computed as torchvision does: `aligned: false` clamps the side
    /// to 1 (a 1-pixel RoI from x1), `aligned: true` samples with a negative bin size (a mirrored
    /// RoI; adaptive sampling then takes no samples and gives zeros).
    ///
    /// Implementation (CKernels/roi_align.c): each RoI's sample table (positions and weights,
    /// torchvision's float arithmetic and clamp rules) is built once and shared by all channels.
    /// The map is transposed to channels-last once and the channels run as 16-lane vectors, or,
    /// when the RoIs take few samples for the map's size, gathered from the planes directly
    /// (`RoIAlignLayout`). RoIs split over the workers; the input gradient splits the channels
    /// over the workers (no races, no atomics, deterministic).
    public func roiAlign(boxes: Tensor, outputSize: (Int, Int), spatialScale: Float = 1, samplingRatio: Int = -1,
                         aligned: Bool = false) throws -> Tensor {
        try checkRoIOperands("roi_align", self, outputSize: outputSize, spatialScale: spatialScale)
        let rois = try RoIs(boxes, batchSize: shape[0])
        try rois.checkExtent(scale: spatialScale, outputSize: outputSize, samplingRatio: samplingRatio, aligned: aligned)
        return roiAlign(rois, outputSize: outputSize, spatialScale: spatialScale, samplingRatio: samplingRatio, aligned: aligned)
    }

    /// `roiAlign` with one (Kᵢ, 4) box tensor per image (torchvision's list form); the output
    /// rows follow the lists in order.
    public func roiAlign(boxes: [Tensor], outputSize: (Int, Int), spatialScale: Float = 1, samplingRatio: Int = -1,
                         aligned: Bool = false) throws -> Tensor {
        try checkRoIOperands("roi_align", self, outputSize: outputSize, spatialScale: spatialScale)
        let rois = try RoIs(boxes, batchSize: shape[0])
        try rois.checkExtent(scale: spatialScale, outputSize: outputSize, samplingRatio: samplingRatio, aligned: aligned)
        return roiAlign(rois, outputSize: outputSize, spatialScale: spatialScale, samplingRatio: samplingRatio, aligned: aligned)
    }

    func roiAlign(_ rois: RoIs, outputSize: (Int, Int), spatialScale: Float, samplingRatio: Int, aligned: Bool) -> Tensor {
        let geometry = RoIAlignGeometry(height: outputSize.0, width: outputSize.1, samplingRatio: samplingRatio, aligned: aligned)
        return Tensor.multiLevelRoIAlign([self], scales: [spatialScale], rois: rois,
                                         levelIndices: [Array(0..<rois.count)], geometry: geometry)
    }

    /// RoIAlign of RoIs on several maps: row r of the (K, C, ph, pw) result samples level l's map
    /// at `levels[l]`'s scale when r ∈ `levelIndices[l]`; rows listed nowhere are zero. One
    /// differentiable op with a gradient for every map.
    static func multiLevelRoIAlign(_ levels: [Tensor], scales: [Float], rois: RoIs, levelIndices: [[Int]],
                                   geometry: RoIAlignGeometry) -> Tensor {
        let c = levels[0].shape[1], n = levels[0].shape[0]
        for (l, x) in levels.enumerated() {
            checkShape(x.rank == 4 && x.shape[0] == n && x.shape[1] == c,
                       "roi_align: feature map \(l) has shape \(x.shape), expected (\(n), \(c), H, W)")
        }
        let k = rois.count, ph = geometry.height, pw = geometry.width
        let listedOnce = levelIndices.reduce(0) { $0 + $1.count } == k
        let out = listedOnce ? Tensor(uninitializedShape: [k, c, ph, pw]) : Tensor.zeros([k, c, ph, pw])
        let roiValues = rois.values
        var layouts = [RoIAlignLayout]()
        for (l, x) in levels.enumerated() {
            let h = x.shape[2], w = x.shape[3], index = levelIndices[l]
            let layout = RoIAlignLayout.choose(pixels: n * h * w, rois: roiValues, index: index, geometry: geometry, scale: scales[l])
            layouts.append(layout)
            if index.isEmpty { continue }
            let source = layout == .planar ? x : withNoGrad { x.detach().permuted([0, 2, 3, 1]) }
            let sampling = geometry.samplingRatio, aligned: Int32 = geometry.aligned ? 1 : 0
            roiValues.withUnsafeBufferPointer { r in
                index.withUnsafeBufferPointer { idx in
                    let rp = UncheckedSendable(r.baseAddress!), ip = UncheckedSendable(idx.baseAddress!)
                    let fp = UncheckedSendable(UnsafePointer(source.data)), op = UncheckedSendable(out.data)
                    if layout == .planar {
                        // blocks of 8 channels over the workers, all RoIs each
                        Threading.parallelFor((c + 7) / 8) { blocks in
                            azoo_roi_align_forward_planar(fp.value, n, h, w, c, rp.value, ip.value, index.count, ph, pw, scales[l],
                                                          sampling, aligned, blocks.lowerBound * 8, Swift.min(c, blocks.upperBound * 8), op.value)
                        }
                    } else {
                        Threading.parallelFor(index.count) { range in
                            azoo_roi_align_forward(fp.value, n, h, w, c, rp.value, ip.value + range.lowerBound, range.count,
                                                   ph, pw, scales[l], sampling, aligned, op.value)
                        }
                    }
                }
            }
        }
        return Tensor.differentiable("roi_align", inputs: levels, output: out) { gout in
            levels.enumerated().map { l, x in
                x.requiresGrad ? roiAlignInputGradient(gout, shape: x.shape, scale: scales[l], rois: roiValues,
                                                       index: levelIndices[l], geometry: geometry, layout: layouts[l]) : nil
            }
        }
    }
}

/// The gradient of one map (N, C, H, W) from the output gradient `gout` (K, C, ph, pw) of the
/// RoIs `index`: each sample adds its bilinear weights times the bin's gradient / count into
/// a channels-last buffer (or the planes, `layout` as in the forward), channel blocks of 16
/// split over the workers.
func roiAlignInputGradient(_ gout: Tensor, shape: [Int], scale: Float, rois: [Float], index: [Int],
                           geometry: RoIAlignGeometry, layout: RoIAlignLayout) -> Tensor {
    let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
    if index.isEmpty { return Tensor.zeros(shape) }
    let planar = layout == .planar
    let gin = Tensor.zeros(planar ? shape : [n, h, w, c])
    let kernel = planar ? azoo_roi_align_backward_planar : azoo_roi_align_backward
    let sampling = geometry.samplingRatio
    rois.withUnsafeBufferPointer { r in
        index.withUnsafeBufferPointer { idx in
            let rp = UncheckedSendable(r.baseAddress!), ip = UncheckedSendable(idx.baseAddress!)
            let gp = UncheckedSendable(UnsafePointer(gout.data)), dp = UncheckedSendable(gin.data)
            // channel blocks of 16 (whole vectors; adjacent workers share no cache line)
            Threading.parallelFor((c + 15) / 16) { blocks in
                let c0 = blocks.lowerBound * 16, c1 = min(c, blocks.upperBound * 16)
                kernel(gp.value, n, h, w, c, rp.value, ip.value, index.count, geometry.height,
                       geometry.width, scale, sampling, geometry.aligned ? 1 : 0, c0, c1, dp.value)
            }
        }
    }
    // dL/dx = Σ_samples w_corner · g_bin / count at each corner (adjoint of the forward's sums)
    return planar ? gin : withNoGrad { gin.permuted([0, 3, 1, 2]) }
}
