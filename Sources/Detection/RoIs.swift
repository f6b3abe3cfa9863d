import TensorCore

/// Regions of interest as torchvision's kernels take them: K rows of
/// (batch index, x1, y1, x2, y2), validated once for `roiAlign`, `roiPool` and
/// `MultiScaleRoIAlign`.
///
/// Rules: every value finite; the batch index an integer in `[0, batchSize)`; `x2 < x1` or
/// `y2 < y1` allowed (torchvision computes such boxes; see `roiAlign`).
struct RoIs {
    /// K × 5 floats.
    let values: [Float]
    var count: Int { values.count / 5 }

    /// From a (K, 5) tensor.
    init(_ boxes: Tensor, batchSize: Int, name: String = "boxes") throws {
        guard boxes.rank == 2, boxes.shape[1] == 5 else {
            throw DetectionError("\(name): expected a (K, 5) tensor of (batch index, x1, y1, x2, y2), got shape \(boxes.shape)")
        }
        values = boxes.scalars
        try validate(batchSize: batchSize, name: name)
    }

    /// From one (Kᵢ, 4) tensor of (x1, y1, x2, y2) per image (torchvision's list form).
    init(_ boxes: [Tensor], batchSize: Int, name: String = "boxes") throws {
        guard boxes.count == batchSize else {
            throw DetectionError("\(name): \(boxes.count) box lists for a batch of \(batchSize) images (one list per image)")
        }
        var v = [Float]()
        v.reserveCapacity(boxes.reduce(0) { $0 + $1.count / 4 * 5 })
        for (i, b) in boxes.enumerated() {
            guard b.rank == 2, b.shape[1] == 4 else {
                throw DetectionError("\(name)[\(i)]: expected a (K, 4) tensor of (x1, y1, x2, y2), got shape \(b.shape)")
            }
            let s = b.scalars
            for k in 0..<b.shape[0] {
                v.append(Float(i))
                v.append(contentsOf: s[(4 * k)..<(4 * k + 4)])
            }
        }
        values = v
        try validate(batchSize: batchSize, name: name)
    }

    /// Bounds that keep the kernels' integer arithmetic and tables finite (torchvision casts to
    /// int without a check): every coordinate × `scale` within ±2³⁰ feature pixels, and with
    /// `samplingRatio` (RoIAlign) at most 2²⁶ bilinear samples per RoI.
    func checkExtent(scale: Float, outputSize: (Int, Int), samplingRatio: Int?, aligned: Bool = false,
                     name: String = "boxes") throws {
        let limit = Double(1 << 30), bins = Double(outputSize.0 * outputSize.1), maxSamples = Double(1 << 26)
        if let sr = samplingRatio, sr > 0, Double(sr) * Double(sr) * bins > maxSamples {
            throw DetectionError("samplingRatio: \(sr) gives \(sr * sr) samples per bin, more than 2^26 per RoI")
        }
        for k in 0..<count {
            for j in 1..<5 where abs(Double(values[5 * k + j]) * Double(scale)) > limit {
                throw DetectionError("\(name): box \(k) has coordinate \(values[5 * k + j]), beyond 2^30 feature pixels at spatialScale \(scale)")
            }
            guard let sr = samplingRatio, sr <= 0 else { continue }
            var w = (Double(values[5 * k + 3]) - Double(values[5 * k + 1])) * Double(scale)
            var h = (Double(values[5 * k + 4]) - Double(values[5 * k + 2])) * Double(scale)
            if !aligned { w = max(w, 1); h = max(h, 1) }
            let samples = bins * max(0, (h / Double(outputSize.0)).rounded(.up)) * max(0, (w / Double(outputSize.1)).rounded(.up))
            if samples > maxSamples {
                throw DetectionError("\(name): box \(k) needs \(Int(samples)) bilinear samples with adaptive sampling (more than 2^26); pass samplingRatio > 0")
            }
        }
    }

    private func validate(batchSize: Int, name: String) throws {
        for k in 0..<count {
            for j in 0..<5 where !values[5 * k + j].isFinite {
                throw DetectionError("\(name): box \(k) has a non-finite value (\(values[5 * k + j])) in column \(j)")
            }
            let b = values[5 * k]
            guard b == b.rounded(.towardZero), b >= 0, b < Float(batchSize) else {
                throw DetectionError("\(name): box \(k) has batch index \(b), not an integer in [0, \(batchSize))")
            }
        }
    }
}

/// Checks an (N, C, H, W) feature map and an output size; traps like the engine's shape checks.
func checkRoIOperands(_ op: String, _ input: Tensor, outputSize: (Int, Int), spatialScale: Float) throws {
    checkShape(input.rank == 4, "\(op): input \(input.shape) is not (N, C, H, W)")
    guard outputSize.0 > 0, outputSize.1 > 0 else {
        throw DetectionError("\(op): outputSize must be positive, got \(outputSize)")
    }
    guard spatialScale.isFinite, spatialScale > 0 else {
        throw DetectionError("\(op): spatialScale must be finite and > 0, got \(spatialScale)")
    }
}
