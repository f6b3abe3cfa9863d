import Foundation

/// COCO detection results: a JSON list of `{image_id, category_id, bbox, score}` (other fields
/// skipped), resolved against a ground truth.
///
/// As pycocotools' `loadRes`: area = w·h, iscrowd 0, ids 1, 2, … in file order. Errors (one line
/// naming the file and the entry): malformed JSON, missing fields, an `image_id` not among the
/// ground-truth images (pycocotools asserts), NaN or infinite scores, non-finite or negative-size
/// boxes. Lenient (warning): categories not in the ground truth are dropped (pycocotools filters
/// them out); an empty list evaluates as no detections (pycocotools fails on it).
public struct COCODetections: Sendable {
    public let source: String
    public internal(set) var imageIndex: [Int32] = []
    public internal(set) var categoryIndex: [Int32] = []
    /// x, y, w, h per detection.
    public internal(set) var boxes: [Double] = []
    public internal(set) var scores: [Double] = []
    /// Position of each kept detection in the file (its pycocotools id is this + 1).
    public internal(set) var fileIndex: [Int32] = []
    public internal(set) var warnings: [String] = []

    public var count: Int { scores.count }

    /// Loads `path` and resolves it against `groundTruth`.
    public init(path: String, groundTruth: COCOGroundTruth) throws {
        let raw = try withFileBytes(path) { try RawDetections(bytes: $0, source: path) }
        try self.init(raw: raw, groundTruth: groundTruth)
    }

    /// Parses a JSON document held in memory; `source` names it in messages.
    public init(data: Data, source: String, groundTruth: COCOGroundTruth) throws {
        let raw = try data.withUnsafeBytes { try RawDetections(bytes: $0.bindMemory(to: UInt8.self), source: source) }
        try self.init(raw: raw, groundTruth: groundTruth)
    }

    init(raw: RawDetections, groundTruth gt: COCOGroundTruth) throws {
        source = raw.source
        let n = raw.scores.count
        imageIndex.reserveCapacity(n); categoryIndex.reserveCapacity(n); boxes.reserveCapacity(4 * n)
        scores.reserveCapacity(n); fileIndex.reserveCapacity(n)
        var unknownCategory = (count: 0, first: -1)
        for i in 0..<n {
            guard let img = gt.imageLookup.index(of: raw.imageIds[i]) else {
                throw COCOError("\(source): detection \(i): image_id \(raw.imageIds[i]) is not an image of \(gt.source)")
            }
            guard let cat = gt.categoryLookup.index(of: raw.categoryIds[i]) else {
                if unknownCategory.count == 0 { unknownCategory.first = i }
                unknownCategory.count += 1
                continue
            }
            imageIndex.append(Int32(img))
            categoryIndex.append(Int32(cat))
            boxes.append(contentsOf: raw.boxes[4 * i..<4 * i + 4])
            scores.append(raw.scores[i])
            fileIndex.append(Int32(i))
        }
        if n == 0 {
            warnings.append("\(source): no detections; every AP and AR is 0 (pycocotools fails on an empty list)")
        }
        if unknownCategory.count > 0 {
            let i = unknownCategory.first
            warnings.append("\(source): \(unknownCategory.count) detections have categories not in \(gt.source) (first: detection \(i), category_id \(raw.categoryIds[i])); ignored, as pycocotools does")
        }
    }
}

/// Detection fields as read, before ids are resolved.
struct RawDetections: Sendable {
    let source: String
    var imageIds: [Int] = [], categoryIds: [Int] = []
    var boxes: [Double] = [], scores: [Double] = []

    private static let keys: [StaticString] = ["image_id", "category_id", "bbox", "score"]

    init(bytes: UnsafeBufferPointer<UInt8>, source: String) throws {
        self.source = source
        var s = JSONScanner(bytes, file: source)
        guard s.peek() == 0x5B else {
            if s.peek() == 0x7B || s.peek() == nil {
                throw COCOError("\(source): detection results must be a JSON list of {image_id, category_id, bbox, score}")
            }
            throw s.syntaxError("expected '['")
        }
        s.pos += 1
        let estimate = bytes.count / 90
        imageIds.reserveCapacity(estimate); categoryIds.reserveCapacity(estimate)
        boxes.reserveCapacity(4 * estimate); scores.reserveCapacity(estimate)
        var first = true
        while try s.hasNext(&first, close: 0x5D) {
            let n = scores.count
            guard s.peek() == 0x7B else { throw COCOError("\(source): detection \(n) is not an object") }
            s.pos += 1
            var image = 0, category = 0, box = (0.0, 0.0, 0.0, 0.0), score = 0.0
            var have: UInt8 = 0
            var f = true
            while try s.hasNext(&f, close: 0x7D) {
                let k = try s.readKey(Self.keys)
                switch k {
                case 0: image = try s.readInt("\(source): detection \(n): image_id")
                case 1: category = try s.readInt("\(source): detection \(n): category_id")
                case 2: box = try readBox(&s, "\(source): detection \(n)")
                case 3: score = try s.readNumber("\(source): detection \(n): score")
                default: try s.skipValue()
                }
                if k >= 0 { have |= 1 << UInt8(k) }
            }
            if have != 0b1111 {
                let missing = Self.keys.enumerated().first { have & (1 << UInt8($0.offset)) == 0 }!.element
                throw COCOError("\(source): detection \(n): missing field '\(missing)'")
            }
            guard score.isFinite else {
                throw COCOError("\(source): detection \(n) (image_id \(image), category_id \(category)): score is \(score)")
            }
            imageIds.append(image); categoryIds.append(category)
            boxes.append(box.0); boxes.append(box.1); boxes.append(box.2); boxes.append(box.3)
            scores.append(score)
        }
        try s.expectEnd()
    }
}

/// Loads a ground-truth file and a detection file, parsing both at once (one core each).
public func loadCOCOPair(groundTruth gtPath: String, detections dtPath: String) throws -> (COCOGroundTruth, COCODetections) {
    nonisolated(unsafe) var gt: Result<COCOGroundTruth, Error>?
    nonisolated(unsafe) var raw: Result<RawDetections, Error>?
    DispatchQueue.concurrentPerform(iterations: 2) { i in
        if i == 0 {
            gt = Result { try COCOGroundTruth(path: gtPath) }
        } else {
            raw = Result { try withFileBytes(dtPath) { try RawDetections(bytes: $0, source: dtPath) } }
        }
    }
    let g = try gt!.get()
    return (g, try COCODetections(raw: try raw!.get(), groundTruth: g))
}
