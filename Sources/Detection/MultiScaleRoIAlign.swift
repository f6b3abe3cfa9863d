import Foundation
import TensorCore

/// The FPN level of each box (Lin et al. 2017, eq. 1), torchvision's `poolers.LevelMapper`:
/// `k = clamp(floor(canonicalLevel + log2(sqrt(area) / canonicalScale) + eps), kMin, kMax) − kMin`,
/// all in Float32 as torchvision computes it.
public struct LevelMapper: Sendable {
    public let kMin: Int, kMax: Int
    public let canonicalScale: Int, canonicalLevel: Int
    public let eps: Float

    public init(kMin: Int, kMax: Int, canonicalScale: Int = 224, canonicalLevel: Int = 4, eps: Float = 1e-6) {
        self.kMin = kMin; self.kMax = kMax
        self.canonicalScale = canonicalScale; self.canonicalLevel = canonicalLevel; self.eps = eps
    }

    /// Level index (0-based from `kMin`) of each (x1, y1, x2, y2) box in `boxes` (K × 4 floats);
    /// nil for a box with one flipped side (negative area: torchvision's level is NaN there and
    /// the box matches no level).
    public func levels(_ boxes: [Float]) -> [Int?] {
        (0..<(boxes.count / 4)).map { k in
            let area = (boxes[4 * k + 2] - boxes[4 * k]) * (boxes[4 * k + 3] - boxes[4 * k + 1])
            let s = area.squareRoot()
            let level = (Float(canonicalLevel) + log2f(s / Float(canonicalScale)) + eps).rounded(.down)
            guard !level.isNaN else { return nil }
            return Int(min(max(level, Float(kMin)), Float(kMax))) - kMin
        }
    }
}

/// Multi-scale RoIAlign (torchvision `ops.MultiScaleRoIAlign`): each box is pooled from the
/// pyramid level `LevelMapper` picks, with RoIAlign (aligned: false, torchvision's default).
///
/// - `featmapNames`: the maps used, taken from the input in the input's order (torchvision's
///   `_filter_input`); others are ignored.
/// - Scales: per map `2^round(log2(H_map / H_image))` with `H_image` the largest image height
///   (torchvision infers them from the heights only); `kMin = −log2(scale of the first map)`,
///   `kMax` from the last (truncated to integers as torchvision does).
/// - Output: (K, C, outputSize) with K = all boxes of all images, rows in input order (image 0's
///   boxes first). Differentiable in every map.
///
/// Deviation: torchvision computes the scales on its first call and keeps them; we infer them
/// on every call from that call's maps and image sizes (the same numbers for the fixed strides
/// of an FPN). Boxes with one flipped side (negative area) give zero rows here and in torchvision.
public struct MultiScaleRoIAlign: Sendable {
    public let featmapNames: [String]
    public let outputSize: (Int, Int)
    public let samplingRatio: Int
    public let canonicalScale: Int, canonicalLevel: Int

    public init(featmapNames: [String], outputSize: (Int, Int), samplingRatio: Int, canonicalScale: Int = 224,
                canonicalLevel: Int = 4) {
        self.featmapNames = featmapNames; self.outputSize = outputSize; self.samplingRatio = samplingRatio
        self.canonicalScale = canonicalScale; self.canonicalLevel = canonicalLevel
    }

    public init(featmapNames: [String], outputSize: Int, samplingRatio: Int, canonicalScale: Int = 224,
                canonicalLevel: Int = 4) {
        self.init(featmapNames: featmapNames, outputSize: (outputSize, outputSize), samplingRatio: samplingRatio,
                  canonicalScale: canonicalScale, canonicalLevel: canonicalLevel)
    }

    /// The scale of each used map and the level mapper for `imageShapes` (height, width).
    public func scales(_ maps: [Tensor], imageShapes: [(Int, Int)]) throws -> ([Float], LevelMapper) {
        guard !imageShapes.isEmpty else { throw DetectionError("imageShapes: empty (one (height, width) per image)") }
        let maxHeight = imageShapes.map(\.0).max()!
        guard maxHeight > 0 else { throw DetectionError("imageShapes: heights must be positive, got \(imageShapes.map(\.0))") }
        let scales: [Float] = maps.map { m in
            // torch: 2 ** round(log2(float32(h_map / h_image))), round half to even
            let approx = Float(Double(m.shape[2]) / Double(maxHeight))
            return Float(pow(2.0, Double(log2f(approx).rounded(.toNearestOrEven))))
        }
        let kMin = Int(-log2f(scales[0])), kMax = Int(-log2f(scales[scales.count - 1]))
        return (scales, LevelMapper(kMin: kMin, kMax: kMax, canonicalScale: canonicalScale, canonicalLevel: canonicalLevel))
    }

    /// Pools `boxes` (one (Kᵢ, 4) tensor of (x1, y1, x2, y2) in image coordinates per image) from
    /// the named maps of `features` ((name, (N, C, H, W)) in pyramid order).
    public func callAsFunction(_ features: [(String, Tensor)], boxes: [Tensor], imageShapes: [(Int, Int)]) throws -> Tensor {
        let maps = features.filter { featmapNames.contains($0.0) }.map(\.1)
        guard !maps.isEmpty else {
            throw DetectionError("features: none of featmapNames \(featmapNames) among \(features.map(\.0))")
        }
        guard outputSize.0 > 0, outputSize.1 > 0 else {
            throw DetectionError("outputSize must be positive, got \(outputSize)")
        }
        for m in maps { checkShape(m.rank == 4, "multi_scale_roi_align: feature map \(m.shape) is not (N, C, H, W)") }
        let rois = try RoIs(boxes, batchSize: maps[0].shape[0])
        let (scales, mapper) = try self.scales(maps, imageShapes: imageShapes)
        try rois.checkExtent(scale: scales.max()!, outputSize: outputSize, samplingRatio: samplingRatio)
        let geometry = RoIAlignGeometry(height: outputSize.0, width: outputSize.1, samplingRatio: samplingRatio, aligned: false)
        if maps.count == 1 {
            return Tensor.multiLevelRoIAlign(maps, scales: scales, rois: rois, levelIndices: [Array(0..<rois.count)],
                                             geometry: geometry)
        }
        var corners = [Float](); corners.reserveCapacity(rois.count * 4)
        for k in 0..<rois.count { corners += rois.values[(5 * k + 1)..<(5 * k + 5)] }
        var perLevel = [[Int]](repeating: [], count: maps.count)
        for (k, level) in mapper.levels(corners).enumerated() {
            if let level, level >= 0, level < maps.count { perLevel[level].append(k) }
        }
        return Tensor.multiLevelRoIAlign(maps, scales: scales, rois: rois, levelIndices: perLevel, geometry: geometry)
    }
}
