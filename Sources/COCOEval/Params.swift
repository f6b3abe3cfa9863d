/// Evaluation parameters: pycocotools' `Params` for `iouType='bbox'` plus our options.
public struct COCOParams: Sendable, Equatable {
    /// IoU thresholds, numpy's `linspace(.5, .95, 10)` bit for bit.
    public var iouThresholds: [Double] = COCOParams.linspace(0.5, 0.95, 10)
    /// Recall thresholds, `linspace(0, 1, 101)`.
    public var recallThresholds: [Double] = COCOParams.linspace(0, 1, 101)
    /// Detections kept per image (and category), ascending.
    public var maxDets: [Int] = [1, 10, 100]
    /// Area ranges on the annotation's `area` (inclusive both ends) and their labels.
    public var areaRanges: [AreaRange] = [
        AreaRange("all", 0, 1e10), AreaRange("small", 0, 1024), AreaRange("medium", 1024, 9216),
        AreaRange("large", 9216, 1e10),
    ]
    /// pycocotools' `useCats`: false pools every category of an image into one.
    public var useCats = true
    /// How the summary picks maxDets; see `SummaryLayout`.
    public var summary: SummaryLayout = .pycocotools
    /// Also ignore ground truth whose `ignore` flag is set. Off by default: pycocotools
    /// overwrites `ignore` with `iscrowd`, so the file's `ignore` has no effect there.
    public var useIgnoreFlag = false

    public init() {}

    /// The named presets: `coco` (maxDets 1, 10, 100) and `mmdet` (mmdetection's proposal
    /// layout of seed 002: maxDets 100, 300, 1000, so AR@100/300/1000; AP through
    /// pycocotools' summary, headline AP at 100).
    public init(preset: COCOPreset) {
        switch preset {
        case .coco: break
        case .mmdet: maxDets = [100, 300, 1000]
        }
    }

    /// How the twelve summary numbers choose their maxDets.
    public enum SummaryLayout: String, Sendable, CaseIterable {
        /// pycocotools: AP@[.5:.95] at maxDets 100 whatever the list (-1 when 100 is absent), the
        /// other AP lines and AR s/m/l at `maxDets[2]`, AR at `maxDets[0]`, `[1]`, `[2]`; needs ≥ 3.
        case pycocotools
        /// Every AP line and AR s/m/l at the largest maxDets, one AR line per maxDets
        /// (6 + count + 3 numbers; 12 for three).
        case honoured
    }

    static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        let step = (stop - start) / Double(num - 1)
        return (0..<num).map { $0 == num - 1 ? stop : Double($0) * step + start }
    }

    /// Checks the options; messages name the option.
    public func validate() throws {
        guard !maxDets.isEmpty, maxDets.allSatisfy({ $0 > 0 }) else {
            throw COCOError("--max-dets: expected positive counts, got \(maxDets)")
        }
        guard Set(maxDets).count == maxDets.count else { throw COCOError("--max-dets: \(maxDets) repeats a value") }
        guard iouThresholds.count <= 32, !iouThresholds.isEmpty else { throw COCOError("1 to 32 IoU thresholds supported") }
        if summary == .pycocotools, maxDets.count < 3 {
            throw COCOError("--max-dets: pycocotools' summary reads maxDets[0], [1] and [2]; give 3 values or use --honour-max-dets")
        }
    }

    /// maxDets ascending (pycocotools sorts them before evaluating).
    public var sortedMaxDets: [Int] { maxDets.sorted() }
}

/// An area range `[lo, hi]` (inclusive) with its summary label.
public struct AreaRange: Sendable, Equatable {
    public let label: String
    public let lo: Double
    public let hi: Double
    public init(_ label: String, _ lo: Double, _ hi: Double) { self.label = label; self.lo = lo; self.hi = hi }

    @inline(__always) func excludes(_ area: Double) -> Bool { area < lo || area > hi }
}

/// Named parameter presets (`--preset`).
public enum COCOPreset: String, Sendable, CaseIterable {
    case coco, mmdet
}
