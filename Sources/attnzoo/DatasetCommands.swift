import ArgumentParser
import Boxes
import Detection
import Foundation

/// `attnzoo make-dataset traffic-signs`: renders seed 002's five classes into COCO-format road scenes.
struct MakeDatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-dataset",
        abstract: "Generate a COCO-format detection dataset (JPEG images + instances JSON).",
        discussion: """
            'traffic-signs' renders the five classes of seed 002 (red_tl, arr_s, arr_l, no_driving_mark_allsort, \
            no_parking_mark) into procedural road scenes with the seed's class frequencies. Output: \
            OUT/annotations/instances_{train,val}.json, OUT/{train,val}/NNNNNN.jpg, OUT/dataset.json. Deterministic \
            from --seed. A non-empty OUT is refused unless it already holds this exact dataset. See docs/data.md.
            """)

    @Argument(help: "Dataset kind: traffic-signs.") var kind: String
    @Option(help: "Output folder (created; must be absent or empty).") var out: String
    @Option(help: "Training images (the seed's 2226 by default).") var train = 2226
    @Option(help: "Validation images.") var val = 500
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 0
    @Option(help: "Image width in pixels (object sizes scale with it).") var width = 640
    @Option(help: "Image height in pixels.") var height = 360
    @Option(help: "Rendering threads.") var threads = 2
    @Flag(help: "Print nothing but errors.") var quiet = false

    func run() throws {
        guard kind == "traffic-signs" else { throw CLIError("make-dataset: unknown dataset kind '\(kind)' (known: traffic-signs)") }
        guard threads >= 1 else { throw CLIError("--threads must be at least 1, got \(threads)") }
        do {
            let generator = try TrafficSignGenerator(width: width, height: height, seed: seed)
            let start = Date()
            let outcome = try generator.write(to: out, train: train, val: val, threads: threads)
            guard !quiet else { return }
            if outcome == .alreadyComplete {
                print("\(out): already holds this dataset (seed \(seed), \(train) train / \(val) val, \(width)×\(height)); nothing written")
                return
            }
            print(String(format: "wrote %@ in %.1f s", out, Date().timeIntervalSince(start)))
            for (split, count) in [("train", train), ("val", val)] where count > 0 {
                var stats = DatasetStatistics(classNames: TrafficSignClass.allCases.map(\.name))
                for objects in generator.annotations(split: split, count: count) {
                    stats.add(labels: objects.map { $0.category.rawValue - 1 }, areas: objects.map { $0.bbox.2 * $0.bbox.3 })
                }
                print("\(split): " + stats.table, terminator: "")
            }
        } catch let e as DatasetError { throw CLIError(e.description) }
    }
}

/// `attnzoo check-dataset`: loads a COCO-format dataset as training would, decodes every image, prints statistics.
struct CheckDatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-dataset",
        abstract: "Load and verify a COCO-format dataset (JSON, boxes, categories, every image decoded); print class and size statistics.",
        discussion: """
            Reads DATA/annotations/instances_<split>.json and DATA/<split>/. The first bad entry (malformed JSON, missing or \
            corrupt image, unknown category, bad box) is one error line and a non-zero exit; with --skip-bad each is a \
            warning line and the count is printed at the end. --throughput times decoding and augmentation. See docs/data.md.
            """)

    @Option(help: "Dataset folder.") var data: String
    @Option(help: "Splits to check, comma-separated.") var split = "train,val"
    @Flag(name: .customLong("skip-bad"), help: "Skip bad images and annotations with a warning instead of failing.") var skipBad = false
    @Option(help: "Decoding threads.") var threads = 2
    @Option(help: "Time decode + augmentation for this many images per split (single thread and --threads).")
    var throughput = 0
    @Option(name: .customLong("shorter-sides"), help: "Multi-scale shorter sides for --throughput, comma-separated (empty: native size).")
    var shorterSides = "256,288,320"
    @Option(name: .customLong("max-size"), help: "Longer-side cap for --throughput.") var maxSize = 533
    @Option(help: "Folder for PNG previews: the first --preview-count images of each split with their boxes and labels.")
    var preview: String?
    @Option(name: .customLong("preview-count"), help: "Images per split drawn by --preview.") var previewCount = 8

    func run() throws {
        let sides = shorterSides.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sides.allSatisfy({ ($0 ?? 0) > 0 }) else { throw CLIError("--shorter-sides: expected positive integers, got '\(shorterSides)'") }
        var skippedTotal = 0
        for s in split.split(separator: ",").map(String.init) {
            do {
                var ds = try COCODataset(directory: data, split: s, skipBad: skipBad)
                try ds.verifyImages(threads: threads, skipBad: skipBad)
                for w in ds.warnings { FileHandle.standardError.write(Data("attnzoo: warning: \(w)\n".utf8)) }
                skippedTotal += ds.skipped
                var stats = DatasetStatistics(classNames: ds.classNames)
                for im in ds.images {
                    var areas: [Double] = []
                    for k in stride(from: 0, to: im.boxes.count, by: 4) {
                        let w = Double(im.boxes[k + 2] - im.boxes[k]), h = Double(im.boxes[k + 3] - im.boxes[k + 1])
                        areas.append(w * h)
                    }
                    stats.add(labels: im.labels.map { $0 - 1 }, areas: areas)
                }
                print("\(s): " + stats.table, terminator: "")
                if ds.crowdCount > 0 { print("\(s): \(ds.crowdCount) crowd annotations left out of the targets") }
                if throughput > 0 { try timeLoading(ds, split: s, sides: sides.map { $0! }) }
                if let preview { try drawPreviews(ds, split: s, into: preview) }
            } catch let e as DatasetError { throw CLIError(e.description) }
        }
        if skipBad { print("skipped \(skippedTotal) bad entries") }
    }

    private func drawPreviews(_ ds: COCODataset, split: String, into dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw CLIError("\(dir): cannot create the preview folder (\(error.localizedDescription))")
        }
        for i in 0..<min(previewCount, ds.images.count) {
            let im = ds.images[i]
            var plot = try BoxPlot(boxes: im.boxes, width: im.width, height: im.height,
                                   colors: im.labels.map { BoxColor.palette[($0 - 1) % BoxColor.palette.count] },
                                   labels: im.labels.map { ds.classNames[$0 - 1] }, background: ds.loadImage(i))
            plot.dashPattern = []
            plot.lineWidth = 1
            try plot.write(to: URL(fileURLWithPath: dir).appendingPathComponent("\(split)_\(im.id).png"))
        }
        print("\(split): \(min(previewCount, ds.images.count)) previews in \(dir)")
    }

    /// Best of three rounds (a shared machine has slow spells): decode only, then decode + augment on 1 and --threads threads.
    private func timeLoading(_ ds: COCODataset, split: String, sides: [Int]) throws {
        let n = min(throughput, ds.images.count)
        func best(_ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<3 {
                let start = Date()
                try body()
                times.append(Date().timeIntervalSince(start))
            }
            return times.min()!
        }
        let decode = try best { for i in 0..<n { _ = try ds.loadImage(i) } }
        print(String(format: "%@: JPEG decode only: %.1f images/s on 1 thread (%d images, best of 3)", split, Double(n) / decode, n))
        let what = sides.isEmpty ? "native size" : "shorter side \(sides.map(String.init).joined(separator: "/")), max \(maxSize)"
        for t in Array(Set([1, threads])).sorted() {
            let loader = try DetectionLoader(dataset: ds, batchSize: n, seed: 1,
                                             augmentation: Augmentation(shorterSides: sides, maxSize: maxSize), threads: t)
            var epoch = 0
            let s = try best { epoch += 1; _ = try loader.batch(epoch: epoch, iteration: 0) }
            print(String(format: "%@: decode + flip + resize (%@) to CHW float: %.1f images/s on %d thread%@ (best of 3)",
                         split, what, Double(n) / s, t, t == 1 ? "" : "s"))
        }
    }
}
