import Foundation
import Testing
@testable import Detection

@Test("Generated class frequencies equal seed 002's table; ~4% of images are negatives")
func generatorClassCounts() throws {
    let g = try TrafficSignGenerator(seed: 3)
    let assignment = g.classAssignment(split: 1, count: 2226)
    let counts = TrafficSignClass.allCases.map { c in assignment.joined().filter { $0 == c }.count }
    #expect(counts == [1465, 1133, 638, 622, 1142])
    let empty = assignment.filter(\.isEmpty).count
    #expect(empty > 40 && empty < 140, "\(empty) empty images")
    #expect(TrafficSignClass.instanceCounts(images: 445) == [293, 226, 128, 124, 228])
    for n in [0, 1, 2, 3, 10] {   // tiny sets terminate with the exact totals too
        let small = g.classAssignment(split: 2, count: n)
        #expect(small.count == n && small.joined().count == TrafficSignClass.instanceCounts(images: n).reduce(0, +))
    }
}

@Test("Generated annotations: every class placed, inside the image, small/medium/large all present, small plentiful")
func generatorSizes() throws {
    let g = try TrafficSignGenerator(seed: 5)
    let objects = g.annotations(split: "train", count: 400)
    var stats = DatasetStatistics(classNames: TrafficSignClass.allCases.map(\.name))
    for list in objects {
        stats.add(labels: list.map { $0.category.rawValue - 1 }, areas: list.map { $0.bbox.2 * $0.bbox.3 })
        for o in list {
            let (x, y, w, h) = o.bbox
            #expect(x >= 0 && y >= 0 && x + w <= 640.01 && y + h <= 360.01 && min(w, h) >= 7.99, "\(o)")
        }
    }
    #expect(stats.total == TrafficSignClass.instanceCounts(images: 400).reduce(0, +))
    let buckets = (0..<3).map { b in stats.counts.map { $0[b] }.reduce(0, +) }
    #expect(Double(buckets[0]) > 0.3 * Double(stats.total), "small: \(stats.table)")
    #expect(Double(buckets[1]) > 0.25 * Double(stats.total), "medium: \(stats.table)")
    #expect(Double(buckets[2]) > 0.04 * Double(stats.total), "large: \(stats.table)")
}

@Test("make-dataset: COCO JSON + JPEGs that the loader reads back; same seed ⇒ identical bytes; other seed differs")
func generatorWritesDeterministically() throws {
    let root = try dataTempDir("gen")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let g = try TrafficSignGenerator(width: 320, height: 180, seed: 11)
    #expect(try g.write(to: root + "/a", train: 6, val: 2) == .written)
    #expect(try g.write(to: root + "/b", train: 6, val: 2, threads: 1) == .written)
    #expect(try TrafficSignGenerator(width: 320, height: 180, seed: 12).write(to: root + "/c", train: 6, val: 2) == .written)
    let fm = FileManager.default
    let files = ["dataset.json", "annotations/instances_train.json", "annotations/instances_val.json"]
        + (1...6).map { "train/00000\($0).jpg" } + ["val/000001.jpg", "val/000002.jpg"]
    for f in files {
        let a = fm.contents(atPath: "\(root)/a/\(f)"), b = fm.contents(atPath: "\(root)/b/\(f)")
        #expect(a != nil && a == b, "\(f) differs between two runs of one seed")
    }
    #expect(fm.contents(atPath: "\(root)/a/train/000001.jpg") != fm.contents(atPath: "\(root)/c/train/000001.jpg"))
    #expect(!(try fm.contentsOfDirectory(atPath: root)).contains { $0.contains("partial") })
    var ds = try COCODataset(directory: root + "/a", split: "train")
    try ds.verifyImages()
    #expect(ds.images.count == 6 && ds.classNames == TrafficSignClass.allCases.map(\.name))
    #expect(ds.images.allSatisfy { $0.width == 320 && $0.height == 180 })
    let expected = g.annotations(split: "train", count: 6)
    #expect(ds.images.map(\.labels) == expected.map { $0.map(\.category.rawValue) })
    let (image, objects) = g.image(split: "train", index: 0, count: 6)
    #expect(image.width == 320 && objects == expected[0])
}

@Test("make-dataset refuses a non-empty folder unless it is the same complete dataset; nothing there is lost")
func generatorRefusesForeignFolders() throws {
    let root = try dataTempDir("gen-out")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let g = try TrafficSignGenerator(width: 160, height: 120, seed: 1)
    #expect(try g.write(to: root + "/ds", train: 3, val: 1) == .written)
    #expect(try g.write(to: root + "/ds/", train: 3, val: 1) == .alreadyComplete)
    expectDatasetError(["ds", "not empty", "seed"]) { _ = try g.write(to: root + "/ds", train: 4, val: 1) }
    let other = root + "/mine"
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
    try Data("keep me".utf8).write(to: URL(fileURLWithPath: other + "/notes.txt"))
    expectDatasetError(["mine", "not empty", "no dataset.json"]) { _ = try g.write(to: other, train: 3, val: 1) }
    #expect(FileManager.default.contents(atPath: other + "/notes.txt") == Data("keep me".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: other) == ["notes.txt"])
    expectDatasetError(["image size"]) { _ = try TrafficSignGenerator(width: 100, height: 360) }
    // An empty folder is filled.
    try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
    #expect(try g.write(to: root + "/empty", train: 2, val: 0) == .written)
}
