import Boxes
import Foundation
import Testing
@testable import Detection

/// A fresh folder under the temporary directory.
func dataTempDir(_ name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString)-\(name)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A 40×30 JPEG of a horizontal ramp (distinct columns, so flips show).
func rampJPEG(width: Int = 40, height: Int = 30) throws -> [UInt8] {
    var px = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height { for x in 0..<width { px[3 * (y * width + x)] = UInt8(x * 255 / (width - 1)); px[3 * (y * width + x) + 1] = UInt8(y * 8) } }
    return try ImageCodec.encodeJPEG(RGBImage(width: width, height: height, pixels: px), quality: 95)
}

/// A dataset folder `dir/annotations/instances_train.json` + `dir/train/` with three 40×30
/// images: a.jpg (two boxes and a crowd box), b.jpg (no boxes), c.jpg (one box of category 7).
/// `annotations` replaces the annotation list; `images` the image list.
func tinyDataset(annotations: String? = nil, images: String? = nil, files: [String: [UInt8]]? = nil) throws -> String {
    let dir = try dataTempDir("coco")
    try FileManager.default.createDirectory(atPath: dir + "/annotations", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: dir + "/train", withIntermediateDirectories: true)
    let jpeg = try rampJPEG()
    for (name, bytes) in files ?? ["a.jpg": jpeg, "b.jpg": jpeg, "c.jpg": jpeg] {
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/train/\(name)"))
    }
    let json = """
        {"images": \(images ?? """
        [{"id": 10, "file_name": "a.jpg", "width": 40, "height": 30},
         {"id": 11, "file_name": "b.jpg", "width": 40, "height": 30},
         {"id": 12, "file_name": "c.jpg", "width": 40, "height": 30}]
        """),
         "annotations": \(annotations ?? """
        [{"id": 1, "image_id": 10, "category_id": 3, "bbox": [2, 3, 10, 5], "area": 50, "iscrowd": 0},
         {"id": 2, "image_id": 10, "category_id": 7, "bbox": [20, 10, 19.5, 20.4], "area": 398, "iscrowd": 0},
         {"id": 3, "image_id": 10, "category_id": 3, "bbox": [0, 0, 40, 30], "area": 1200, "iscrowd": 1},
         {"id": 4, "image_id": 12, "category_id": 7, "bbox": [5, 5, 4, 4], "area": 16, "iscrowd": 0}]
        """),
         "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}]}
        """
    try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/annotations/instances_train.json"))
    return dir
}

func expectDatasetError(_ words: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("no error; expected one mentioning \(words)", sourceLocation: sourceLocation)
    } catch let e as DatasetError {
        for w in words { #expect(e.description.contains(w), "'\(e.description)' lacks '\(w)'", sourceLocation: sourceLocation) }
        #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Test("COCO dataset: labels 1…K by category id, xyxy boxes, crowd left out, images without boxes kept")
func cocoDatasetLoads() throws {
    let dir = try tinyDataset()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ds = try COCODataset(directory: dir, split: "train")
    #expect(ds.classNames == ["cat", "dog"])
    #expect(ds.images.map(\.id) == [10, 11, 12])
    #expect(ds.images[0].labels == [1, 2])
    #expect(ds.images[0].boxes == [2, 3, 12, 8, 20, 10, 39.5, 30])   // 10 + 20.4 clipped to 30 (within 1 px)
    #expect(ds.images[1].labels.isEmpty)
    #expect(ds.images[2].labels == [2] && ds.images[2].boxes == [5, 5, 9, 9])
    #expect(ds.crowdCount == 1 && ds.skipped == 0)
    let image = try ds.loadImage(0)
    #expect(image.width == 40 && image.height == 30)
}

@Test("Bad annotations: unknown category, NaN, negative width, outside the image, unknown image — one error each, or skipped")
func badAnnotations() throws {
    let cases: [(String, [String])] = [
        (#"{"id": 5, "image_id": 10, "category_id": 9, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}"#,
         ["instances_train.json", "annotations[1]", "id 5", "category_id 9"]),
        (#"{"id": 5, "image_id": 10, "category_id": 3, "bbox": [1, NaN, 2, 2], "area": 4, "iscrowd": 0}"#,
         ["instances_train.json", "annotations[1]", "non-finite"]),
        (#"{"id": 5, "image_id": 10, "category_id": 3, "bbox": [1, 1, -2, 2], "area": 4, "iscrowd": 0}"#,
         ["annotations[1]", "negative width"]),
        (#"{"id": 5, "image_id": 10, "category_id": 3, "bbox": [30, 1, 15, 2], "area": 30, "iscrowd": 0}"#,
         ["annotations[1]", "id 5", "a.jpg", "outside the image"]),
        (#"{"id": 5, "image_id": 99, "category_id": 3, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}"#,
         ["annotations[1]", "image_id 99"]),
    ]
    for (bad, words) in cases {
        let good = #"{"id": 1, "image_id": 10, "category_id": 3, "bbox": [2, 3, 10, 5], "area": 50, "iscrowd": 0}"#
        let dir = try tinyDataset(annotations: "[\(good), \(bad)]")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectDatasetError(words) { _ = try COCODataset(directory: dir, split: "train") }
        let lenient = try COCODataset(directory: dir, split: "train", skipBad: true)
        #expect(lenient.skipped == 1, "\(words)")
        #expect(lenient.warnings.count == 1 && lenient.warnings[0].hasPrefix("skipped: "))
        #expect(lenient.images[0].labels == [1], "the good annotation stays")
    }
}

@Test("Bad files: malformed JSON, missing annotation file, missing image, corrupt image, wrong size")
func badFiles() throws {
    let broken = try tinyDataset(annotations: #"[{"id": 1, "image_id": 10,]"#)
    defer { try? FileManager.default.removeItem(atPath: broken) }
    expectDatasetError(["instances_train.json", "invalid JSON at line"]) { _ = try COCODataset(directory: broken, split: "train") }
    expectDatasetError(["instances_val.json", "no such file"]) { _ = try COCODataset(directory: broken, split: "val") }

    let missing = try tinyDataset(files: ["a.jpg": try rampJPEG(), "c.jpg": try rampJPEG()])
    defer { try? FileManager.default.removeItem(atPath: missing) }
    expectDatasetError(["b.jpg", "no such file", "image id 11"]) { _ = try COCODataset(directory: missing, split: "train") }
    let kept = try COCODataset(directory: missing, split: "train", skipBad: true)
    #expect(kept.images.map(\.id) == [10, 12] && kept.skipped == 1)

    // b.jpg: the header survives, the entropy-coded data is cut (libjpeg's warning is an error).
    let ramp = try rampJPEG()
    let corrupt = try tinyDataset(files: ["a.jpg": ramp, "b.jpg": Array(ramp.prefix(ramp.count - 60)), "c.jpg": try rampJPEG(width: 41)])
    defer { try? FileManager.default.removeItem(atPath: corrupt) }
    var ds = try COCODataset(directory: corrupt, split: "train")
    expectDatasetError(["b.jpg", "corrupt JPEG"]) { try ds.verifyImages() }
    expectDatasetError(["c.jpg", "41×30", "40×30"]) { _ = try ds.loadImage(2) }
    try ds.verifyImages(skipBad: true)
    #expect(ds.images.map(\.id) == [10] && ds.skipped == 2)
}
