import ArgumentParser
import COCOEval
import Foundation

extension COCOPreset: ExpressibleByArgument {}

/// `attnzoo coco-eval`: pycocotools' bbox evaluation of a detection file against COCO ground truth.
struct CocoEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coco-eval",
        abstract: "COCO bounding-box evaluation (pycocotools' COCOeval numbers), printed in pycocotools' format.",
        discussion: """
            Prints the summary lines of pycocotools' summarize(). Warnings (lenient inputs) go to stderr \
            as 'attnzoo: warning: …'. See docs/coco-eval.md.
            """)

    @Option(help: "Ground truth: a COCO instances JSON (images, annotations, categories).") var gt: String
    @Option(help: "Detections: a JSON list of {image_id, category_id, bbox [x,y,w,h], score}.") var dt: String
    @Option(help: "Parameter preset: coco (maxDets 1,10,100) or mmdet (maxDets 100,300,1000: AR@100/300/1000).")
    var preset: COCOPreset = .coco
    @Option(name: .customLong("max-dets"), help: "Comma-separated maxDets, e.g. 1,10,100 (overrides the preset).")
    var maxDets: String?
    @Flag(name: .customLong("honour-max-dets"),
          help: "Summarise every AP line at the largest maxDets and one AR line per maxDets (pycocotools keeps the headline AP at 100).")
    var honourMaxDets = false
    @Flag(name: .customLong("no-use-cats"), help: "pycocotools' useCats=0: pool all categories of an image.")
    var noUseCats = false
    @Flag(name: .customLong("use-ignore-flag"),
          help: "Also ignore ground truth with ignore=1 (pycocotools overwrites 'ignore' with 'iscrowd').")
    var useIgnoreFlag = false
    @Option(name: .customLong("iou-type"), help: "IoU type; only bbox for now.") var iouType = "bbox"
    @Flag(name: .customLong("per-class"), help: "Also print each category's summary numbers.") var perClass = false
    @Flag(help: "Also print false positives (duplicate, localisation, class confusion, background) and misses per class at IoU 0.5.")
    var confusion = false
    @Option(help: "Write stats, per-class results and the confusion summary as JSON.") var json: String?
    @Option(name: .customLong("pr-curves"), help: "Folder for precision–recall curves: pr_curves.csv, pr_all.svg, pr_<category id>.svg.")
    var prCurves: String?
    @Flag(help: "Print nothing on stdout and no warnings (use with --json).") var quiet = false
    @Flag(help: "Print load, evaluation and report times (seconds) on stderr.") var timings = false

    func params() throws -> COCOParams {
        var p = COCOParams(preset: preset)
        if let maxDets {
            let parts = maxDets.split(separator: ",", omittingEmptySubsequences: false)
            let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, values.allSatisfy({ $0 != nil }) else {
                throw CLIError("--max-dets: expected comma-separated positive integers, got '\(maxDets)'")
            }
            p.maxDets = values.map { $0! }
        }
        p.useCats = !noUseCats
        p.useIgnoreFlag = useIgnoreFlag
        p.summary = honourMaxDets ? .honoured : .pycocotools
        guard iouType == "bbox" else { throw CLIError("--iou-type: only bbox is supported, got '\(iouType)'") }
        do { try p.validate() } catch let e as COCOError { throw CLIError(e.description) }
        return p
    }

    func run() throws {
        let p = try params()
        let clock = ContinuousClock()
        var t0 = clock.now
        func lap(_ what: String) {
            guard timings else { return }
            let d = t0.duration(to: clock.now).components
            FileHandle.standardError.write(Data(String(format: "%@ %.4f s\n", what, Double(d.seconds) + Double(d.attoseconds) * 1e-18).utf8))
            t0 = clock.now
        }
        do {
            let (groundTruth, detections) = try loadCOCOPair(groundTruth: gt, detections: dt)
            lap("load")
            if !quiet {
                for w in groundTruth.warnings + detections.warnings {
                    FileHandle.standardError.write(Data("attnzoo: warning: \(w)\n".utf8))
                }
            }
            let result = try COCOEvaluation(groundTruth: groundTruth, detections: detections, params: p)
            lap("evaluate")
            let rows = confusion || json != nil ? result.confusion(groundTruth: groundTruth, detections: detections) : nil
            if !quiet {
                var text = result.summary.text
                if perClass { text += "\nPer category (\(result.summary.metrics.count) summary numbers each; -1: no ground truth)\n" + result.perClassTable() }
                if confusion, let rows {
                    text += "\nFalse positives and misses per category (IoU 0.50, area all, maxDets \(p.sortedMaxDets.last!))\n"
                    text += rows.isEmpty ? "(not available with --no-use-cats)\n" : confusionTable(rows)
                }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
            if let json {
                do { try Data(result.jsonReport(confusion: rows).utf8).write(to: URL(fileURLWithPath: json)) } catch {
                    throw CLIError("--json \(json): cannot write: \((error as NSError).localizedDescription)")
                }
            }
            if let prCurves { try result.writePRCurves(to: prCurves) }
            lap("report")
        } catch let e as COCOError {
            throw CLIError(e.description)
        }
    }
}
