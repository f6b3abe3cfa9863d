import TensorCore

/// Anchor boxes per feature-map cell, torchvision's `models.detection.anchor_utils.AnchorGenerator`.
///
/// Per level l: base ("cell") anchors for every (aspect ratio, size) pair — ratio-major, as
/// torchvision orders them — centred on 0: with `h = sqrt(ratio)`, `w = 1/h`,
/// `(−w·s, −h·s, w·s, h·s) / 2` rounded half to even (Float32). The anchors of a map of
/// (H, W) cells are the base anchors shifted by (x·stride_w, y·stride_h) for every cell, cells
/// row-major, each cell's anchors together; `stride = image size / map size` (integer division,
/// per axis). `anchors(...)` concatenates the levels. Aspect ratio = height / width.
///
/// mmdetection-style options (defaults give torchvision): `roundBaseAnchors: false` keeps the
/// exact base sizes (mmdet's `AnchorGenerator`), `centerOffset: 0.5` centres the anchors on the
/// cell centres ((x + 0.5)·stride; mmdet's `center_offset`, default 0 there too), and
/// `scaleMajor: true` orders each cell's anchors size-major (mmdet's default `scale_major=True`).
/// mmdet also takes `scales × base_size` instead of absolute sizes: pass the products as sizes.
public struct AnchorGenerator: Sendable {
    public let sizes: [[Float]]
    public let aspectRatios: [[Float]]
    public let roundBaseAnchors: Bool
    public let centerOffset: Float
    public let scaleMajor: Bool
    /// Base anchors per level, (sizes × ratios) rows of (x1, y1, x2, y2).
    public let cellAnchors: [[Float]]

    /// `sizes[l]` and `aspectRatios[l]` per level (one ratio list is repeated for every level,
    /// as torchvision does). Throws when the lists do not pair up or hold a non-positive value.
    public init(sizes: [[Float]] = [[128, 256, 512]], aspectRatios: [[Float]] = [[0.5, 1.0, 2.0]],
                roundBaseAnchors: Bool = true, centerOffset: Float = 0, scaleMajor: Bool = false) throws {
        let ratios = aspectRatios.count == 1 ? Array(repeating: aspectRatios[0], count: sizes.count) : aspectRatios
        guard ratios.count == sizes.count else {
            throw DetectionError("aspectRatios: \(aspectRatios.count) lists for \(sizes.count) levels of sizes")
        }
        for (l, s) in sizes.enumerated() where s.isEmpty || s.contains(where: { !($0 > 0 && $0.isFinite) }) {
            throw DetectionError("sizes[\(l)]: expected positive finite sizes, got \(s)")
        }
        for (l, r) in ratios.enumerated() where r.isEmpty || r.contains(where: { !($0 > 0 && $0.isFinite) }) {
            throw DetectionError("aspectRatios[\(l)]: expected positive finite ratios, got \(r)")
        }
        self.sizes = sizes; self.aspectRatios = ratios
        self.roundBaseAnchors = roundBaseAnchors; self.centerOffset = centerOffset; self.scaleMajor = scaleMajor
        cellAnchors = zip(sizes, ratios).map { s, r in
            var out = [Float]()
            func add(_ size: Float, _ ratio: Float) {
                let h = ratio.squareRoot(), w = 1 / h
                let ws = w * size, hs = h * size
                for v in [-ws, -hs, ws, hs] { out.append(roundBaseAnchors ? (v / 2).rounded(.toNearestOrEven) : v / 2) }
            }
            if scaleMajor { for size in s { for ratio in r { add(size, ratio) } } } else { for ratio in r { for size in s { add(size, ratio) } } }
            return out
        }
    }

    /// Anchors per location of each level (torchvision's `num_anchors_per_location`).
    public var anchorsPerLocation: [Int] { zip(sizes, aspectRatios).map { $0.count * $1.count } }

    /// The anchors of one level: (gridHeight · gridWidth · anchorsPerLocation) × 4 floats.
    public func gridAnchors(level: Int, gridSize: (Int, Int), stride: (Int, Int)) -> [Float] {
        let base = cellAnchors[level], a = base.count / 4
        var out = [Float](); out.reserveCapacity(gridSize.0 * gridSize.1 * a * 4)
        for y in 0..<gridSize.0 {
            let sy = (Float(y) + centerOffset) * Float(stride.0)
            for x in 0..<gridSize.1 {
                let sx = (Float(x) + centerOffset) * Float(stride.1)
                for k in 0..<a {
                    out.append(base[4 * k] + sx); out.append(base[4 * k + 1] + sy)
                    out.append(base[4 * k + 2] + sx); out.append(base[4 * k + 3] + sy)
                }
            }
        }
        return out
    }

    /// All anchors of an image of `imageSize` (height, width) — the padded batch size, as
    /// torchvision uses — over maps of `gridSizes` (height, width) per level, as an (A, 4) tensor.
    /// Every image of a batch gets the same anchors.
    public func anchors(imageSize: (Int, Int), gridSizes: [(Int, Int)]) throws -> Tensor {
        guard gridSizes.count == cellAnchors.count else {
            throw DetectionError("gridSizes: \(gridSizes.count) feature maps for \(cellAnchors.count) levels of sizes and aspect ratios")
        }
        var all = [Float]()
        for (l, g) in gridSizes.enumerated() {
            guard g.0 > 0, g.1 > 0 else { throw DetectionError("gridSizes[\(l)]: expected a positive size, got \(g)") }
            all += gridAnchors(level: l, gridSize: g, stride: (imageSize.0 / g.0, imageSize.1 / g.1))
        }
        return Tensor(all, shape: [all.count / 4, 4])
    }
}
