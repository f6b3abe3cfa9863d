import Foundation

/// A COCO category: id and name.
public struct COCOCategory: Sendable, Equatable {
    public let id: Int
    public let name: String
    public init(id: Int, name: String) { self.id = id; self.name = name }
}

/// A COCO image entry: id and, when the file gives them, `file_name`, `width`, `height`.
public struct COCOImage: Sendable, Equatable {
    public let id: Int
    public let fileName: String?
    public let width: Int?
    public let height: Int?
    public init(id: Int, fileName: String? = nil, width: Int? = nil, height: Int? = nil) {
        self.id = id; self.fileName = fileName; self.width = width; self.height = height
    }
}

/// An annotation left out while loading: its position in the file's `annotations` list, its id
/// and image id, and why (an unlisted image or category, or a bad box under `.drop`).
public struct COCODroppedAnnotation: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        case unknownImage, unknownCategory(Int), badBox(String)
    }
    public let index: Int, id: Int, imageId: Int
    public let reason: Reason
}

/// What loading does with an annotation whose `bbox` is not finite or has a negative side.
public enum COCOBadBoxPolicy: Sendable {
    /// Throw a `COCOError` naming the entry (pycocotools' evaluation would produce nonsense).
    case fail
    /// Leave the annotation out and record it in ``COCOGroundTruth/dropped``.
    case drop
}

/// COCO instances ground truth (`images`, `annotations`, `categories`), kept as flat arrays.
///
/// Images and categories are sorted by id (pycocotools' `params.imgIds` / `catIds`).
/// Annotations keep file order; those whose image or category is not listed are dropped with a
/// warning (pycocotools filters them out the same way). Fields read per annotation: `id`,
/// `image_id`, `category_id`, `bbox` [x, y, w, h], `area`, `iscrowd`, `ignore` (others skipped).
public struct COCOGroundTruth: Sendable {
    /// The file name used in messages.
    public let source: String
    public internal(set) var imageIds: [Int] = []
    /// The image entries, aligned with `imageIds` (the first entry of a repeated id).
    public internal(set) var images: [COCOImage] = []
    public internal(set) var categories: [COCOCategory] = []
    public internal(set) var annotationIds: [Int] = []
    /// Each kept annotation's position in the file's `annotations` list (for messages).
    public internal(set) var fileIndex: [Int] = []
    public internal(set) var imageIndex: [Int32] = []
    public internal(set) var categoryIndex: [Int32] = []
    /// x, y, w, h per annotation.
    public internal(set) var boxes: [Double] = []
    public internal(set) var area: [Double] = []
    public internal(set) var isCrowd: [Bool] = []
    /// The file's `ignore` flags (pycocotools overwrites them with `iscrowd`; see `COCOParams.useIgnoreFlag`).
    public internal(set) var ignoreFlag: [Bool] = []
    /// Lenient cases met while loading, one line each.
    public internal(set) var warnings: [String] = []
    /// Every annotation left out, in file order (see ``COCODroppedAnnotation``).
    public internal(set) var dropped: [COCODroppedAnnotation] = []

    var imageLookup = IdLookup([])
    var categoryLookup = IdLookup([])

    public var annotationCount: Int { annotationIds.count }

    /// Loads `path`.
    public init(path: String, badBoxes: COCOBadBoxPolicy = .fail) throws {
        self = try withFileBytes(path) { try COCOGroundTruth(bytes: $0, source: path, badBoxes: badBoxes) }
    }

    /// Parses a JSON document held in memory; `source` names it in messages.
    public init(data: Data, source: String, badBoxes: COCOBadBoxPolicy = .fail) throws {
        self = try data.withUnsafeBytes {
            try COCOGroundTruth(bytes: $0.bindMemory(to: UInt8.self), source: source, badBoxes: badBoxes)
        }
    }

    init(bytes: UnsafeBufferPointer<UInt8>, source: String, badBoxes: COCOBadBoxPolicy = .fail) throws {
        self.source = source
        var raw = RawAnnotations()
        raw.dropBadBoxes = badBoxes == .drop
        var s = JSONScanner(bytes, file: source)
        var seen = (images: false, annotations: false, categories: false)
        try s.expect(0x7B, "a JSON object with images, annotations and categories")
        var first = true
        while try s.hasNext(&first, close: 0x7D) {
            switch try s.readKey(["images", "annotations", "categories"]) {
            case 0: seen.images = true; images = try Self.readImages(&s); imageIds = images.map(\.id)
            case 1: seen.annotations = true; try raw.read(&s)
            case 2: seen.categories = true; categories = try Self.readCategories(&s)
            default: try s.skipValue()
            }
        }
        try s.expectEnd()
        for (name, present) in [("images", seen.images), ("annotations", seen.annotations), ("categories", seen.categories)]
        where !present {
            throw COCOError("\(source): missing top-level '\(name)' (a COCO instances file has images, annotations and categories)")
        }
        try finish(raw)
    }

    private static func readImages(_ s: inout JSONScanner) throws -> [COCOImage] {
        var list: [COCOImage] = []
        let file = s.file
        try s.expect(0x5B, "'[' (images is a list)")
        var first = true
        while try s.hasNext(&first, close: 0x5D) {
            let n = list.count
            try s.expect(0x7B, "an image object")
            var id: Int?, name: String?, width: Int?, height: Int?
            var f = true
            while try s.hasNext(&f, close: 0x7D) {
                switch try s.readKey(["id", "file_name", "width", "height"]) {
                case 0: id = try s.readInt("\(file): images[\(n)]: id")
                case 1 where s.peek() == 0x22: name = try s.readString()
                case 2 where s.peek() != 0x6E: width = try s.readInt("\(file): images[\(n)]: width")
                case 3 where s.peek() != 0x6E: height = try s.readInt("\(file): images[\(n)]: height")
                default: try s.skipValue()
                }
            }
            guard let id else { throw COCOError("\(s.file): images[\(n)]: missing field 'id'") }
            list.append(COCOImage(id: id, fileName: name, width: width, height: height))
        }
        // Stable: a repeated id keeps its first entry.
        list = list.enumerated().sorted { ($0.element.id, $0.offset) < ($1.element.id, $1.offset) }.map(\.element)
        var unique: [COCOImage] = []
        unique.reserveCapacity(list.count)
        for image in list where unique.last?.id != image.id { unique.append(image) }
        return unique
    }

    private static func readCategories(_ s: inout JSONScanner) throws -> [COCOCategory] {
        var cats: [COCOCategory] = []
        let file = s.file
        try s.expect(0x5B, "'[' (categories is a list)")
        var first = true
        while try s.hasNext(&first, close: 0x5D) {
            let n = cats.count
            try s.expect(0x7B, "a category object")
            var id: Int?
            var name = ""
            var f = true
            while try s.hasNext(&f, close: 0x7D) {
                switch try s.readKey(["id", "name"]) {
                case 0: id = try s.readInt("\(file): categories[\(n)]: id")
                case 1 where s.peek() == 0x22: name = try s.readString()
                default: try s.skipValue()
                }
            }
            guard let id else { throw COCOError("\(s.file): categories[\(n)]: missing field 'id'") }
            cats.append(COCOCategory(id: id, name: name))
        }
        cats.sort { $0.id < $1.id }
        for i in cats.indices.dropFirst() where cats[i].id == cats[i - 1].id {
            throw COCOError("\(s.file): categories: category id \(cats[i].id) is listed twice")
        }
        return cats
    }

    /// Resolves ids, drops annotations of unlisted images/categories (warning), checks uniqueness.
    private mutating func finish(_ raw: RawAnnotations) throws {
        imageLookup = IdLookup(imageIds)
        categoryLookup = IdLookup(categories.map(\.id))
        let n = raw.ids.count
        annotationIds.reserveCapacity(n); imageIndex.reserveCapacity(n); categoryIndex.reserveCapacity(n)
        boxes.reserveCapacity(4 * n); area.reserveCapacity(n); isCrowd.reserveCapacity(n); ignoreFlag.reserveCapacity(n)
        var unknownImage = (count: 0, first: -1), unknownCategory = (count: 0, first: -1)
        var idSet = Set<Int>(minimumCapacity: n)
        var zeroId = -1
        for i in 0..<n {
            if let message = raw.badBoxes[i] {
                dropped.append(COCODroppedAnnotation(index: i, id: raw.ids[i], imageId: raw.imageIds[i], reason: .badBox(message)))
                continue
            }
            guard let img = imageLookup.index(of: raw.imageIds[i]) else {
                dropped.append(COCODroppedAnnotation(index: i, id: raw.ids[i], imageId: raw.imageIds[i], reason: .unknownImage))
                if unknownImage.count == 0 { unknownImage.first = i }
                unknownImage.count += 1
                continue
            }
            guard let cat = categoryLookup.index(of: raw.categoryIds[i]) else {
                dropped.append(COCODroppedAnnotation(index: i, id: raw.ids[i], imageId: raw.imageIds[i],
                                                     reason: .unknownCategory(raw.categoryIds[i])))
                if unknownCategory.count == 0 { unknownCategory.first = i }
                unknownCategory.count += 1
                continue
            }
            guard idSet.insert(raw.ids[i]).inserted else {
                throw COCOError("\(source): annotations[\(i)]: annotation id \(raw.ids[i]) is used twice (ids must be unique)")
            }
            if raw.ids[i] == 0, zeroId < 0 { zeroId = i }
            annotationIds.append(raw.ids[i])
            fileIndex.append(i)
            imageIndex.append(Int32(img))
            categoryIndex.append(Int32(cat))
            boxes.append(contentsOf: raw.boxes[4 * i..<4 * i + 4])
            area.append(raw.area[i])
            isCrowd.append(raw.isCrowd[i])
            ignoreFlag.append(raw.ignore[i])
        }
        if unknownImage.count > 0 {
            let i = unknownImage.first
            warnings.append("\(source): \(unknownImage.count) annotations refer to images not in 'images' (first: annotations[\(i)], image_id \(raw.imageIds[i])); ignored, as pycocotools does")
        }
        if unknownCategory.count > 0 {
            let i = unknownCategory.first
            warnings.append("\(source): \(unknownCategory.count) annotations have categories not in 'categories' (first: annotations[\(i)], category_id \(raw.categoryIds[i])); ignored, as pycocotools does")
        }
        if raw.missingArea.count > 0 {
            warnings.append("\(source): \(raw.missingArea.count) annotations have no 'area' (first: annotations[\(raw.missingArea.first)]); using bbox w*h (pycocotools would fail)")
        }
        if raw.missingCrowd.count > 0 {
            warnings.append("\(source): \(raw.missingCrowd.count) annotations have no 'iscrowd' (first: annotations[\(raw.missingCrowd.first)]); taken as 0 (pycocotools would fail)")
        }
        if zeroId >= 0 {
            warnings.append("\(source): annotations[\(zeroId)] has id 0; as in pycocotools, a detection matched to it counts as unmatched")
        }
    }
}

/// Annotation fields as read, before ids are resolved.
struct RawAnnotations {
    var ids: [Int] = [], imageIds: [Int] = [], categoryIds: [Int] = []
    var boxes: [Double] = [], area: [Double] = []
    var isCrowd: [Bool] = [], ignore: [Bool] = []
    var missingArea = (count: 0, first: 0), missingCrowd = (count: 0, first: 0)
    /// With `dropBadBoxes`, the message of each annotation whose box is bad (nil: good).
    var dropBadBoxes = false
    var badBoxes: [String?] = []

    private static let keys: [StaticString] = ["id", "image_id", "category_id", "bbox", "area", "iscrowd", "ignore"]

    mutating func read(_ s: inout JSONScanner) throws {
        try s.expect(0x5B, "'[' (annotations is a list)")
        var first = true
        while try s.hasNext(&first, close: 0x5D) {
            let n = ids.count
            let file = s.file
            let at = { "\(file): annotations[\(n)]" }
            try s.expect(0x7B, "an annotation object")
            var id = 0, image = 0, category = 0, box = (0.0, 0.0, 0.0, 0.0), a = 0.0, crowd = false, ign = false
            var have: UInt8 = 0
            var bad: String?
            var f = true
            while try s.hasNext(&f, close: 0x7D) {
                let k = try s.readKey(Self.keys)
                switch k {
                case 0: id = try s.readInt("\(at()): id")
                case 1: image = try s.readInt("\(at()): image_id")
                case 2: category = try s.readInt("\(at()): category_id")
                case 3:
                    if dropBadBoxes {
                        box = try readBoxValues(&s, at())
                        bad = badBoxMessage(box, at())
                    } else {
                        box = try readBox(&s, at())
                    }
                case 4: a = try s.readNumber("\(at()): area")
                case 5: crowd = try s.readFlag("\(at()): iscrowd") != 0
                case 6: ign = try s.readFlag("\(at()): ignore") != 0
                default: try s.skipValue()
                }
                if k >= 0 { have |= 1 << UInt8(k) }
            }
            for (k, name) in Self.keys.enumerated().prefix(4) where have & (1 << UInt8(k)) == 0 {
                throw COCOError("\(at()): missing field '\(name)'")
            }
            if have & (1 << 4) == 0 {
                if missingArea.count == 0 { missingArea.first = n }
                missingArea.count += 1
                a = box.2 * box.3
            } else if !a.isFinite, bad == nil {
                throw COCOError("\(at()) (id \(id)): area is \(a)")
            }
            if have & (1 << 5) == 0 {
                if missingCrowd.count == 0 { missingCrowd.first = n }
                missingCrowd.count += 1
            }
            ids.append(id); imageIds.append(image); categoryIds.append(category)
            boxes.append(box.0); boxes.append(box.1); boxes.append(box.2); boxes.append(box.3)
            area.append(a); isCrowd.append(crowd); ignore.append(ign); badBoxes.append(bad)
        }
    }
}

/// Reads `[x, y, w, h]`: four finite numbers, w and h not negative.
func readBox(_ s: inout JSONScanner, _ at: @autoclosure () -> String) throws -> (Double, Double, Double, Double) {
    let v = try readBoxValues(&s, at())
    if let message = badBoxMessage(v, at()) { throw COCOError(message) }
    return v
}

/// Reads `[x, y, w, h]`: four numbers, any values.
func readBoxValues(_ s: inout JSONScanner, _ at: @autoclosure () -> String) throws -> (Double, Double, Double, Double) {
    guard s.peek() == 0x5B else { throw COCOError("\(at()): bbox must be a list [x, y, w, h]") }
    s.pos += 1
    var v = (0.0, 0.0, 0.0, 0.0)
    var n = 0
    var first = true
    while try s.hasNext(&first, close: 0x5D) {
        let x = try s.readNumber("\(at()): bbox[\(n)]")
        switch n {
        case 0: v.0 = x
        case 1: v.1 = x
        case 2: v.2 = x
        case 3: v.3 = x
        default: break
        }
        n += 1
    }
    guard n == 4 else { throw COCOError("\(at()): bbox must have 4 numbers [x, y, w, h], got \(n)") }
    return v
}

/// Why `v` is not a usable box (a non-finite value, a negative side), or nil.
func badBoxMessage(_ v: (Double, Double, Double, Double), _ at: @autoclosure () -> String) -> String? {
    guard v.0.isFinite, v.1.isFinite, v.2.isFinite, v.3.isFinite else {
        return "\(at()): bbox has a non-finite value [\(v.0), \(v.1), \(v.2), \(v.3)]"
    }
    guard v.2 >= 0, v.3 >= 0 else {
        return "\(at()): bbox has a negative \(v.2 < 0 ? "width" : "height") [\(v.0), \(v.1), \(v.2), \(v.3)]"
    }
    return nil
}

/// Id → dense index: a table when ids are compact, a dictionary otherwise.
struct IdLookup: Sendable {
    private var table: [Int32] = []
    private var base = 0
    private var dictionary: [Int: Int32] = [:]

    init(_ sortedIds: [Int]) {
        guard let lo = sortedIds.first, let hi = sortedIds.last else { return }
        let (span, overflow) = hi.subtractingReportingOverflow(lo)
        if !overflow, span < 4 * sortedIds.count + 4096 {
            base = lo
            table = [Int32](repeating: -1, count: span + 1)
            for (i, id) in sortedIds.enumerated() { table[id - lo] = Int32(i) }
        } else {
            for (i, id) in sortedIds.enumerated() { dictionary[id] = Int32(i) }
        }
    }

    @inline(__always) func index(of id: Int) -> Int? {
        if !table.isEmpty {
            let (off, o) = id.subtractingReportingOverflow(base)
            guard !o, off >= 0, off < table.count else { return nil }
            let v = table[off]
            return v < 0 ? nil : Int(v)
        }
        return dictionary[id].map(Int.init)
    }
}
