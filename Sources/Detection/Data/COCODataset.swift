import Boxes
import COCOEval
import Foundation

/// One image of a ``COCODataset`` with its training targets.
public struct DatasetImage: Sendable, Equatable {
    public let id: Int
    /// The image file, `imageFolder/file_name`.
    public let path: String
    /// The size the JSON gives (the decoded image must match it).
    public let width: Int, height: Int
    /// N×4 boxes, `x1 y1 x2 y2` in pixels, clipped to the image; crowd boxes are not among them.
    public let boxes: [Float]
    /// N labels in 1…K (the index of the category in ``COCODataset/categories`` plus one).
    public let labels: [Int]
    /// The `annotations` index of each box, for messages.
    public let annotationIndices: [Int]
}

/// A COCO-format detection dataset: an instances JSON and a folder of JPEG/PNG images.
///
/// Reading follows torchvision's detection references: categories sorted by id become labels
/// 1…K (0 is the background); crowd annotations (`iscrowd` 1) are left out of the targets;
/// boxes `[x, y, w, h]` become `x1 y1 x2 y2`, clipped to the image, and those of zero width or
/// height after clipping are dropped with a warning; images without boxes stay (negatives).
///
/// Bad input is one ``DatasetError`` naming the file and the entry: malformed JSON, an image
/// entry without `file_name`/`width`/`height`, a missing image file, an annotation of an unknown
/// image or category, a box that is not finite, has a negative side, or lies outside the image by
/// more than `outsideTolerance` pixels. With `skipBad`, each becomes a line in ``warnings``
/// (the entry or image is left out) and ``skipped`` counts them.
public struct COCODataset: Sendable {
    /// The annotation file, for messages.
    public let annotationFile: String
    public let imageFolder: String
    /// Categories sorted by id; label k is `categories[k - 1]`.
    public let categories: [COCOCategory]
    public private(set) var images: [DatasetImage] = []
    /// Lenient cases (and skipped entries under `skipBad`), one line each.
    public private(set) var warnings: [String] = []
    /// Entries (annotations or images) left out under `skipBad`.
    public private(set) var skipped = 0
    /// Crowd annotations left out of the targets.
    public private(set) var crowdCount = 0

    /// How far (pixels) a box may reach past the image border before it is an error; within it,
    /// the box is clipped.
    public static let outsideTolerance: Double = 1

    /// Loads `annotations` (a COCO instances JSON) with images under `images`.
    /// `checkFiles` tests that every image file exists (``verifyImages(threads:)`` decodes them).
    public init(annotations: String, images folder: String, skipBad: Bool = false, checkFiles: Bool = true) throws {
        let gt: COCOGroundTruth
        do { gt = try COCOGroundTruth(path: annotations, badBoxes: skipBad ? .drop : .fail) } catch let e as COCOError {
            throw DatasetError(e.description)
        }
        annotationFile = annotations
        imageFolder = folder
        categories = gt.categories
        var bad = BadEntries(skipBad: skipBad)
        for d in gt.dropped {
            let at = "\(annotations): annotations[\(d.index)] (id \(d.id), image_id \(d.imageId))"
            switch d.reason {
            case .unknownImage: try bad.report("\(at): image_id \(d.imageId) is not in 'images'")
            case .unknownCategory(let c): try bad.report("\(at): category_id \(c) is not in 'categories'")
            case .badBox(let message): try bad.report(message)
            }
        }
        // Annotations per image, in file order.
        var perImage = [[Int]](repeating: [], count: gt.imageIds.count)
        for a in 0..<gt.annotationCount { perImage[Int(gt.imageIndex[a])].append(a) }
        var degenerate = (count: 0, first: "")
        var fileIndex: [String: Int] = [:]
        for (i, info) in gt.images.enumerated() {
            let at = "\(annotations): image id \(info.id)"
            guard let name = info.fileName, !name.isEmpty else { try bad.report("\(at): missing 'file_name'"); continue }
            guard let w = info.width, let h = info.height, w > 0, h > 0 else {
                try bad.report("\(at) ('\(name)'): missing or non-positive 'width'/'height'"); continue
            }
            if let other = fileIndex.updateValue(info.id, forKey: name) {
                try bad.report("\(at): file_name '\(name)' is also used by image id \(other)"); continue
            }
            let path = (folder as NSString).appendingPathComponent(name)
            if checkFiles, !FileManager.default.fileExists(atPath: path) {
                try bad.report("\(path): no such file (\(at))"); continue
            }
            var boxes: [Float] = [], labels: [Int] = [], indices: [Int] = []
            for a in perImage[i] {
                if gt.isCrowd[a] { crowdCount += 1; continue }
                let x = gt.boxes[4 * a], y = gt.boxes[4 * a + 1], bw = gt.boxes[4 * a + 2], bh = gt.boxes[4 * a + 3]
                let tol = Self.outsideTolerance
                let entry = "\(annotations): annotations[\(gt.fileIndex[a])] (id \(gt.annotationIds[a]), image '\(name)' \(w)×\(h))"
                guard x >= -tol, y >= -tol, x + bw <= Double(w) + tol, y + bh <= Double(h) + tol else {
                    try bad.report("\(entry): bbox [\(x), \(y), \(bw), \(bh)] lies outside the image"); continue
                }
                let x1 = max(0, x), y1 = max(0, y), x2 = min(Double(w), x + bw), y2 = min(Double(h), y + bh)
                guard x2 > x1, y2 > y1 else {
                    if degenerate.count == 0 { degenerate.first = entry }
                    degenerate.count += 1
                    continue
                }
                boxes += [Float(x1), Float(y1), Float(x2), Float(y2)]
                labels.append(Int(gt.categoryIndex[a]) + 1)
                indices.append(gt.fileIndex[a])
            }
            self.images.append(DatasetImage(id: info.id, path: path, width: w, height: h, boxes: boxes, labels: labels,
                                            annotationIndices: indices))
        }
        if degenerate.count > 0 {
            bad.warnings.append("\(degenerate.count) boxes of zero width or height left out (first: \(degenerate.first))")
        }
        warnings = bad.warnings
        skipped = bad.count
    }

    /// Loads split `split` (`train`, `val`) of a dataset folder: `dir/annotations/instances_<split>.json`
    /// with images in `dir/<split>/`.
    public init(directory dir: String, split: String, skipBad: Bool = false, checkFiles: Bool = true) throws {
        let json = ((dir as NSString).appendingPathComponent("annotations") as NSString)
            .appendingPathComponent("instances_\(split).json")
        guard FileManager.default.fileExists(atPath: json) else {
            throw DatasetError("\(json): no such file (a dataset folder holds annotations/instances_\(split).json and \(split)/)")
        }
        try self.init(annotations: json, images: (dir as NSString).appendingPathComponent(split), skipBad: skipBad,
                      checkFiles: checkFiles)
    }

    /// The category names in label order (label 1 first).
    public var classNames: [String] { categories.map(\.name) }

    /// Decodes image `index`; its size must equal the JSON's `width` × `height`.
    public func loadImage(_ index: Int) throws -> RGBImage {
        let entry = images[index]
        let image = try ImageCodec.read(entry.path)
        guard image.width == entry.width, image.height == entry.height else {
            throw DatasetError("\(entry.path): decoded size \(image.width)×\(image.height) differs from \(entry.width)×\(entry.height) in \(annotationFile) (image id \(entry.id))")
        }
        return image
    }

    /// Decodes every image (over `threads` threads) and checks its size. Throws the first failure
    /// (in image order); with `skipBad`, leaves the failing images out and records warnings.
    public mutating func verifyImages(threads: Int = 2, skipBad: Bool = false) throws {
        var failures = [String?](repeating: nil, count: images.count)
        failures.withUnsafeMutableBufferPointer { out in
            let slots = SendablePointer(out.baseAddress!)
            let this = self
            concurrentForEach(images.count, threads: threads) { i in
                do { _ = try this.loadImage(i) } catch { slots.pointer[i] = "\(error)" }
            }
        }
        var bad = BadEntries(skipBad: skipBad)
        var kept: [DatasetImage] = []
        for (i, failure) in failures.enumerated() {
            if let failure { try bad.report(failure) } else { kept.append(images[i]) }
        }
        images = kept
        warnings += bad.warnings
        skipped += bad.count
    }
}

/// Collects bad entries: throws the first, or (skipping) records a warning and counts it.
struct BadEntries {
    let skipBad: Bool
    var warnings: [String] = []
    var count = 0

    mutating func report(_ message: String) throws {
        guard skipBad else { throw DatasetError(message) }
        warnings.append("skipped: \(message)")
        count += 1
    }
}

/// A raw pointer carried into concurrent closures that write disjoint elements.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// Runs `body(i)` for `i` in `0..<count` on `threads` threads (items dealt round-robin).
func concurrentForEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < count { body(i); i += workers }
    }
}
