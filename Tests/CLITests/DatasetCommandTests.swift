import Foundation
import Testing

@Test("attnzoo make-dataset / check-dataset: writes, re-runs idempotently, refuses other folders, reports bad images in one line")
func datasetCommands() throws {
    let dir = tempURL("dataset").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let make = ["make-dataset", "traffic-signs", "--out", dir, "--train", "3", "--val", "1", "--width", "160", "--height", "120", "--seed", "4"]
    var (rc, out, err) = try attnzoo(make)
    #expect(rc == 0 && out.contains("red_tl"), "\(err)")
    (rc, out, err) = try attnzoo(make)
    #expect(rc == 0 && out.contains("already holds this dataset"))
    (rc, _, err) = try attnzoo(make.dropLast() + ["5"])
    #expect(rc != 0 && err.hasPrefix("attnzoo: ") && err.contains("not empty") && err.split(separator: "\n").count == 1, "\(err)")
    (rc, out, err) = try attnzoo(["check-dataset", "--data", dir])
    #expect(rc == 0 && out.contains("train: 3 images") && out.contains("val: 1 images"), "\(err)")
    (rc, _, err) = try attnzoo(["check-dataset", "--data", dir, "--split", "val", "--preview", dir + "-preview"])
    defer { try? FileManager.default.removeItem(atPath: dir + "-preview") }
    #expect(rc == 0 && FileManager.default.fileExists(atPath: dir + "-preview/val_1.png"), "\(err)")
    // A damaged image: one error line naming it; --skip-bad: a warning and the count.
    try Data("broken".utf8).write(to: URL(fileURLWithPath: dir + "/train/000002.jpg"))
    (rc, _, err) = try attnzoo(["check-dataset", "--data", dir])
    #expect(rc != 0 && err.contains("000002.jpg") && err.split(separator: "\n").count == 1, "\(err)")
    (rc, out, err) = try attnzoo(["check-dataset", "--data", dir, "--skip-bad"])
    #expect(rc == 0 && err.contains("warning: skipped: ") && err.contains("000002.jpg") && out.contains("skipped 1 bad entries"), "\(err)")
    (rc, _, err) = try attnzoo(["make-dataset", "cats", "--out", dir + "-x"])
    #expect(rc != 0 && err.contains("unknown dataset kind"))
}
