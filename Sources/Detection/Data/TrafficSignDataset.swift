import Boxes
import Foundation

/// Writing the generated traffic-sign dataset in COCO format.
///
/// Layout: `DIR/annotations/instances_{train,val}.json`, `DIR/{train,val}/NNNNNN.jpg`, and
/// `DIR/dataset.json` (generator, version, seed, sizes). Everything is written into a sibling
/// folder `DIR.partial-<pid>` and renamed to `DIR` at the end, so `DIR` either does not exist,
/// or is empty, or holds a complete dataset.
extension TrafficSignGenerator {
    /// Bumped whenever the output for a given seed changes.
    public static let version = 1

    /// The splits and their tags in the seed mix.
    static func splitTag(_ split: String) -> UInt64 { split == "train" ? 1 : 2 }

    /// The annotations of `count` images of `split`, without rendering them.
    public func annotations(split: String, count: Int) -> [[SceneObject]] {
        let classes = classAssignment(split: Self.splitTag(split), count: count)
        return classes.enumerated().map { plan(split: Self.splitTag(split), index: $0.offset, classes: $0.element).objects }
    }

    /// Renders image `index` of `split` (a set of `count` images) and its annotations.
    public func image(split: String, index: Int, count: Int) -> (RGBImage, [SceneObject]) {
        let classes = classAssignment(split: Self.splitTag(split), count: count)[index]
        let p = plan(split: Self.splitTag(split), index: index, classes: classes)
        return (p.render(), p.objects)
    }

    /// `dataset.json`'s text for these sizes.
    public func manifest(train: Int, val: Int) -> String {
        """
        {"generator": "traffic-signs", "version": \(Self.version), "seed": \(seed), "train": \(train), "val": \(val), \
        "width": \(width), "height": \(height)}

        """
    }

    public enum WriteOutcome: Equatable, Sendable { case written, alreadyComplete }

    /// Writes the dataset to `dir` (see the type's notes). A non-empty `dir` is accepted only when it
    /// is a complete dataset of the same generator version, seed and sizes (nothing is written then).
    public func write(to dir: String, train: Int, val: Int, threads: Int = 2) throws -> WriteOutcome {
        guard train >= 1, val >= 0 else { throw DatasetError("--train must be at least 1 and --val at least 0 (got \(train), \(val))") }
        let fm = FileManager.default
        let out = dir.hasSuffix("/") && dir.count > 1 ? String(dir.dropLast()) : dir
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: out, isDirectory: &isDir) {
            guard isDir.boolValue else { throw DatasetError("\(out): exists and is not a folder") }
            let contents = (try? fm.contentsOfDirectory(atPath: out)) ?? []
            if !contents.isEmpty {
                let manifestPath = (out as NSString).appendingPathComponent("dataset.json")
                let found = (try? String(contentsOfFile: manifestPath, encoding: .utf8)) ?? ""
                if found == manifest(train: train, val: val) { return .alreadyComplete }
                let what = found.isEmpty ? "has no dataset.json" : "holds another dataset: \(found.trimmingCharacters(in: .whitespacesAndNewlines))"
                throw DatasetError("\(out): the folder is not empty and \(what); choose another --out (nothing was written)")
            }
        }
        let tmp = out + ".partial-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            for sub in ["annotations", "train", "val"] {
                try fm.createDirectory(atPath: (tmp as NSString).appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            for (split, count) in [("train", train), ("val", val)] {
                let json = try writeSplit(split, count: count, into: tmp, threads: threads)
                try Data(json.utf8).write(to: URL(fileURLWithPath: "\(tmp)/annotations/instances_\(split).json"))
            }
            try Data(manifest(train: train, val: val).utf8).write(to: URL(fileURLWithPath: "\(tmp)/dataset.json"))
            if fm.fileExists(atPath: out) { try fm.removeItem(atPath: out) }   // empty (checked above)
            guard rename(tmp, out) == 0 else {
                throw DatasetError("\(out): cannot move the finished dataset into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? fm.removeItem(atPath: tmp)
            if let e = error as? DatasetError { throw e }
            throw DatasetError("\(tmp): \(error.localizedDescription)")
        }
        return .written
    }

    /// Renders and writes the JPEGs of one split; returns its COCO JSON.
    private func writeSplit(_ split: String, count: Int, into root: String, threads: Int) throws -> String {
        let tag = Self.splitTag(split)
        let classes = classAssignment(split: tag, count: count)
        var failures = [String?](repeating: nil, count: count)
        var objects = [[SceneObject]](repeating: [], count: count)
        let generator = self
        failures.withUnsafeMutableBufferPointer { fail in
            objects.withUnsafeMutableBufferPointer { objs in
                let f = SendablePointer(fail.baseAddress!), o = SendablePointer(objs.baseAddress!)
                concurrentForEach(count, threads: threads) { i in
                    let p = generator.plan(split: tag, index: i, classes: classes[i])
                    o.pointer[i] = p.objects
                    let path = "\(root)/\(split)/\(Self.fileName(i))"
                    do {
                        let jpeg = try ImageCodec.encodeJPEG(p.render(), quality: p.quality)
                        try Data(jpeg).write(to: URL(fileURLWithPath: path))
                    } catch {
                        f.pointer[i] = "\(path): \(error)"
                    }
                }
            }
        }
        if let failure = failures.first(where: { $0 != nil }) { throw DatasetError(failure!) }
        return cocoJSON(objects)
    }

    static func fileName(_ index: Int) -> String {
        let digits = String(index + 1)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".jpg"
    }

    /// COCO instances JSON for images with `objects` (ids from 1, file names `NNNNNN.jpg`).
    public func cocoJSON(_ objects: [[SceneObject]]) -> String {
        func num(_ v: Double) -> String { String(format: "%.2f", v) }
        var s = "{\"info\": {\"description\": \"AttentionZoo generated traffic-sign scenes (classes of seed 002)\", "
        s += "\"version\": \(Self.version), \"seed\": \(seed)},\n\"images\": [\n"
        s += objects.indices.map {
            "{\"id\": \($0 + 1), \"file_name\": \"\(Self.fileName($0))\", \"width\": \(width), \"height\": \(height)}"
        }.joined(separator: ",\n")
        s += "\n],\n\"annotations\": [\n"
        var lines: [String] = []
        for (i, list) in objects.enumerated() {
            for o in list {
                let (x, y, w, h) = o.bbox
                lines.append("{\"id\": \(lines.count + 1), \"image_id\": \(i + 1), \"category_id\": \(o.category.rawValue), "
                             + "\"bbox\": [\(num(x)), \(num(y)), \(num(w)), \(num(h))], \"area\": \(num(w * h)), \"iscrowd\": 0}")
            }
        }
        s += lines.joined(separator: ",\n")
        s += "\n],\n\"categories\": [\n"
        s += TrafficSignClass.allCases.map { "{\"id\": \($0.rawValue), \"name\": \"\($0.name)\", \"supercategory\": \"traffic\"}" }
            .joined(separator: ",\n")
        s += "\n]}\n"
        return s
    }
}

/// Instances per class and per COCO size bucket (area < 32², < 96², larger).
public struct DatasetStatistics: Sendable, Equatable {
    public let classNames: [String]
    public private(set) var images = 0, emptyImages = 0
    /// counts[class][bucket], bucket 0 small, 1 medium, 2 large.
    public private(set) var counts: [[Int]]

    public init(classNames: [String]) {
        self.classNames = classNames
        counts = Array(repeating: [0, 0, 0], count: classNames.count)
    }

    /// Adds an image with boxes of `labels` (0-based) and `areas`.
    public mutating func add(labels: [Int], areas: [Double]) {
        images += 1
        if labels.isEmpty { emptyImages += 1 }
        for (c, a) in zip(labels, areas) { counts[c][a < 1024 ? 0 : a < 9216 ? 1 : 2] += 1 }
    }

    public var total: Int { counts.joined().reduce(0, +) }

    /// A table: one row per class and a total row; instances, small, medium, large.
    public var table: String {
        var rows = [["category", "count", "small", "medium", "large"]]
        for (name, c) in zip(classNames, counts) { rows.append([name, String(c.reduce(0, +))] + c.map(String.init)) }
        let sums = (0..<3).map { b in counts.map { $0[b] }.reduce(0, +) }
        rows.append(["all", String(total)] + sums.map { "\($0) (\(total == 0 ? 0 : 100 * $0 / total)%)" })
        let widths = (0..<5).map { k in rows.map { $0[k].count }.max()! }
        var out = "\(images) images (\(emptyImages) without boxes), \(total) instances\n"
        for r in rows {
            out += zip(r, widths).enumerated().map { $0.offset == 0 ? $0.element.0.padding(toLength: $0.element.1, withPad: " ", startingAt: 0)
                : String(repeating: " ", count: $0.element.1 - $0.element.0.count) + $0.element.0 }.joined(separator: "  ") + "\n"
        }
        return out
    }
}
