import Foundation
import Testing

/// The pycocotools fixtures of the COCOEval tests (scripts/fixtures/make_coco.py).
func cocoFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("COCOEvalTests/Fixtures/coco_\(name)").path
}

/// pycocotools' results for one variant of a fixture case.
struct CocoExpected: Decodable {
    let stats: [Double]
    let lines: [String]
    let per_class: [[Double]]

    static func load(_ c: String, _ variant: String) throws -> CocoExpected {
        let all = try JSONDecoder().decode([String: CocoExpected].self,
                                           from: Data(contentsOf: URL(fileURLWithPath: cocoFixture("\(c).expected.json"))))
        return try #require(all[variant])
    }
}

/// What `--json` writes (the parts the tests read).
struct CocoReport: Decodable {
    struct Row: Decodable { let category_id: Int; let name: String; let stats: [Double] }
    struct Confusion: Decodable { let classes: [[String: AnyNumber]] }
    let stats: [Double]
    let per_class: [Row]
    let confusion: Confusion?
}

struct AnyNumber: Decodable {
    init(from decoder: Decoder) throws {}
}

@Suite("attnzoo coco-eval")
struct CocoEvalCommandTests {
    func run(_ c: String, _ extra: [String] = []) throws -> (Int32, String, String) {
        try attnzoo(["coco-eval", "--gt", cocoFixture("\(c).gt.json"), "--dt", cocoFixture("\(c).dt.json")] + extra)
    }

    @Test("prints pycocotools' summary lines exactly", arguments: ["basic", "crowd", "many"])
    func summary(testCase: String) throws {
        let (rc, out, err) = try run(testCase)
        #expect(rc == 0, "\(err)")
        #expect(out == (try CocoExpected.load(testCase, "default")).lines.map { $0 + "\n" }.joined())
    }

    @Test("--json stats and per-class results equal pycocotools'", arguments: [
        ("default", [String]()), ("nocats", ["--no-use-cats"]), ("maxdets", ["--max-dets", "20,1,5"]),
        ("mmdet", ["--preset", "mmdet"]), ("honoured", ["--honour-max-dets"]),
    ])
    func json(variant: String, flags: [String]) throws {
        let dir = tempURL("coco-json")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.json")
        for c in ["ties", "tiny"] {
            let (rc, stdout, err) = try run(c, flags + ["--json", out.path, "--quiet"])
            #expect(rc == 0, "\(err)")
            #expect(stdout.isEmpty, "--quiet prints nothing")
            let report = try JSONDecoder().decode(CocoReport.self, from: Data(contentsOf: out))
            let want = try CocoExpected.load(c, variant)
            #expect(report.stats == want.stats, "\(c)/\(variant) stats")
            #expect(report.per_class.map(\.stats) == want.per_class, "\(c)/\(variant) per-class")
        }
    }

    @Test("--per-class and --confusion print one row per category")
    func tables() throws {
        let (rc, out, err) = try run("basic", ["--per-class", "--confusion"])
        #expect(rc == 0, "\(err)")
        let lines = out.split(separator: "\n")
        for id in [1, 3, 5, 7, 9] {
            #expect(lines.filter { $0.hasPrefix("\(id) class_\(id) ") }.count == 2, "class \(id) in both tables")
        }
        #expect(out.contains("AP50") && out.contains("ARl@100") && out.contains("missed"))
    }

    @Test("--pr-curves writes the CSV and one SVG per category plus the mean")
    func prCurves() throws {
        let dir = tempURL("coco-pr")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (rc, _, err) = try run("basic", ["--pr-curves", dir.path])
        #expect(rc == 0, "\(err)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(files == ["pr_curves.csv", "pr_all.svg", "pr_1.svg", "pr_3.svg", "pr_5.svg", "pr_7.svg", "pr_9.svg"])
        let csv = try String(contentsOf: dir.appendingPathComponent("pr_curves.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "category_id,category,iou,recall,precision,score")
        #expect(lines.count == 1 + 6 * 3 * 101, "(5 categories + mean) × 3 IoU curves × 101 points")
        let svg = try String(contentsOf: dir.appendingPathComponent("pr_1.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count - 1 == 3)
    }

    @Test("bad input: one line on stderr naming the file and entry, non-zero exit", arguments: [
        ("MALFORMED", "DT", [String](), ["gt.json", "invalid JSON", "line 1"]),
        ("GT", "UNKNOWN_IMAGE", [], ["dt.json", "detection 1", "image_id 77"]),
        ("GT", "NAN", [], ["dt.json", "detection 0", "nan"]),
        ("GT", "DT", ["--max-dets", "1,x,100"], ["--max-dets"]),
        ("GT", "DT", ["--max-dets", "10,100"], ["--max-dets"]),
        ("GT", "DT", ["--iou-type", "segm"], ["--iou-type"]),
        ("GT", "/nonexistent/dt.json", [], ["/nonexistent/dt.json"]),
        ("GT", "DT", ["--preset", "voc"], ["voc"]),
    ])
    func badInput(gt: String, dt: String, flags: [String], mentions: [String]) throws {
        let dir = tempURL("coco-bad")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = [
            "GT": try String(contentsOfFile: cocoFixture("basic.gt.json"), encoding: .utf8),
            "DT": try String(contentsOfFile: cocoFixture("basic.dt.json"), encoding: .utf8),
            "MALFORMED": #"{"images": [{"id": 10}], "annotations": [{"id": 1,"#,
            "UNKNOWN_IMAGE": #"[{"image_id": 10, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}, {"image_id": 77, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]"#,
            "NAN": #"[{"image_id": 10, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN}]"#,
        ]
        func path(_ key: String, _ name: String) throws -> String {
            guard let text = files[key] else { return key }
            let u = dir.appendingPathComponent(name)
            try text.write(to: u, atomically: true, encoding: .utf8)
            return u.path
        }
        let (rc, out, err) = try attnzoo(["coco-eval", "--gt", try path(gt, "gt.json"), "--dt", try path(dt, "dt.json")] + flags)
        #expect(rc != 0)
        #expect(out.isEmpty)
        #expect(err.hasPrefix("attnzoo: ") && err.split(separator: "\n").count == 1, "one line: \(err)")
        for m in mentions { #expect(err.contains(m), "'\(err)' should mention '\(m)'") }
    }

    @Test("lenient input: a warning line on stderr, the summary on stdout")
    func warnings() throws {
        let dir = tempURL("coco-warn")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dt = dir.appendingPathComponent("dt.json")
        try #"[{"image_id": 10, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}, {"image_id": 10, "category_id": 4, "bbox": [0, 0, 1, 1], "score": 0.5}]"#
            .write(to: dt, atomically: true, encoding: .utf8)
        let (rc, out, err) = try attnzoo(["coco-eval", "--gt", cocoFixture("basic.gt.json"), "--dt", dt.path])
        #expect(rc == 0, "\(err)")
        #expect(err.hasPrefix("attnzoo: warning: ") && err.contains("category_id 4"))
        #expect(out.split(separator: "\n").count == 12)
        let (rcQuiet, _, errQuiet) = try attnzoo(["coco-eval", "--gt", cocoFixture("basic.gt.json"), "--dt", dt.path, "--quiet"])
        #expect(rcQuiet == 0 && errQuiet.isEmpty)
    }
}
