import ArgumentParser
import Boxes
import COCOEval
import Detection
import Foundation
import TensorCore

/// `attnzoo detect`: Faster R-CNN inference on image files, COCO results JSON out.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects with a Faster R-CNN (torchvision fasterrcnn_resnet50_fpn layout) and write COCO results JSON.",
        discussion: """
            Each image is resized, normalised and run on its own (a batch of one, as torchvision called per image). \
            Output: [{"image_id", "file_name", "category_id", "bbox": [x, y, w, h] in the image's pixels, "score"}] in \
            the model's order (by image, then decreasing score). image_id is the image's 1-based position on the command \
            line, or with --categories the id of the image whose file_name equals the file's name; category_id is the \
            model's label 1…K−1, or with --categories the id of the label's category (categories sorted by id, as the \
            training data's labels). See docs/detection.md.
            """)

    @Option(help: "Weights: a safetensors state dict with torchvision's keys.") var weights: String
    @Option(name: .customLong("num-classes"), help: "Classes including the background (torchvision's num_classes).") var numClasses: Int
    @Option(help: "Backbone name (attnzoo backbone list).") var backbone = "resnet50"
    @Option(name: .customLong("plugin"), help: "Attention plugin spec for the backbone (repeatable), as in `attnzoo backbone`.")
    var plugins: [String] = []
    @Option(name: .customLong("min-size"), help: "Shorter side after resizing.") var minSize = 800
    @Option(name: .customLong("max-size"), help: "Cap on the longer side after resizing.") var maxSize = 1333
    @Option(name: .customLong("score-threshold"), help: "Keep detections scoring above this.") var scoreThreshold: Float = 0.05
    @Option(name: .customLong("nms-threshold"), help: "IoU threshold of the per-class NMS.") var nmsThreshold: Float = 0.5
    @Option(help: "Detections per image.") var detections = 100
    @Option(help: "NMS of the RPN and the postprocessing: \(NMSMethod.allCases.map(\.rawValue).joined(separator: " | ")).")
    var nms = "greedy"
    @Option(help: "COCO annotations JSON: image ids by file name and category ids by label.") var categories: String?
    @Option(help: "Output COCO results JSON.") var output: String
    @Option(help: "Folder for PNG copies of the images with their detections drawn.") var draw: String?
    @Argument(help: "Images (JPEG or PNG).") var images: [String]

    func run() throws {
        guard !images.isEmpty else { throw CLIError("no images given") }
        guard numClasses >= 2 else { throw CLIError("--num-classes must be at least 2 (background included), got \(numClasses)") }
        guard minSize > 0, maxSize > 0 else { throw CLIError("--min-size/--max-size must be positive, got \(minSize)/\(maxSize)") }
        guard (0...1).contains(nmsThreshold) else { throw CLIError("--nms-threshold must lie in [0, 1], got \(nmsThreshold)") }
        guard scoreThreshold.isFinite else { throw CLIError("--score-threshold must be finite, got \(scoreThreshold)") }
        guard detections >= 0 else { throw CLIError("--detections must be ≥ 0, got \(detections)") }
        guard NMSMethod(rawValue: nms) != nil else {
            throw CLIError("--nms: unknown method '\(nms)' (known: \(NMSMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var config = DetectorConfig()
        config.backbone = backbone; config.plugins = plugins; config.numClasses = numClasses
        config.minSize = [minSize]; config.maxSize = maxSize
        config.boxScoreThreshold = scoreThreshold; config.boxNMSThreshold = nmsThreshold
        config.boxDetectionsPerImage = detections; config.nms = nms
        // Dataset ids, checked before the model is built.
        var categoryIds: [Int]?, imageIds: [String: Int] = [:], names: [String]?
        if let categories {
            let gt: COCOGroundTruth
            do { gt = try COCOGroundTruth(path: categories) } catch let e as COCOError { throw CLIError(e.description) }
            guard gt.categories.count == numClasses - 1 else {
                throw CLIError("--categories \(categories): \(gt.categories.count) categories, but --num-classes \(numClasses) has \(numClasses - 1) object classes")
            }
            categoryIds = gt.categories.map(\.id); names = gt.categories.map(\.name)
            for im in gt.images { if let f = im.fileName { imageIds[f] = imageIds[f] ?? im.id } }
            for path in images where imageIds[URL(fileURLWithPath: path).lastPathComponent] == nil {
                throw CLIError("\(path): no image with file_name '\(URL(fileURLWithPath: path).lastPathComponent)' in --categories \(categories)")
            }
        }
        let model: FasterRCNN
        do {
            model = try FasterRCNN(config: config)
            try model.load(weights: URL(fileURLWithPath: weights))
        } catch let e as DetectionError { throw CLIError(e.description) }
        model.eval()
        if let draw {
            do { try FileManager.default.createDirectory(atPath: draw, withIntermediateDirectories: true) } catch {
                throw CLIError("--draw \(draw): cannot create the folder (\(error.localizedDescription))")
            }
        }
        var json = "["
        var first = true
        for (position, path) in images.enumerated() {
            let rgb: RGBImage
            do { rgb = try ImageCodec.read(path) } catch let e as DatasetError { throw CLIError(e.description) }
            let file = URL(fileURLWithPath: path).lastPathComponent
            let d = model.detect(images: [chwFloat(rgb, width: rgb.width, height: rgb.height)])[0]
            let imageId = categoryIds == nil ? position + 1 : imageIds[file]!
            for k in 0..<d.count {
                let b = Array(d.boxes[(4 * k)..<(4 * k + 4)])
                let category = categoryIds.map { $0[d.labels[k] - 1] } ?? d.labels[k]
                json += (first ? "\n" : ",\n") + "{\"image_id\": \(imageId), \"file_name\": \(jsonString(file)), \"category_id\": \(category), "
                    + "\"bbox\": [\(b[0]), \(b[1]), \(b[2] - b[0]), \(b[3] - b[1])], \"score\": \(d.scores[k])}"
                first = false
            }
            print("\(path): \(d.count) detections")
            if let draw {
                let labels = (0..<d.count).map { k in
                    "\(names.map { $0[d.labels[k] - 1] } ?? String(d.labels[k])) \(String(format: "%.2f", d.scores[k]))"
                }
                let out = URL(fileURLWithPath: draw).appendingPathComponent(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + ".png")
                do {
                    let plot = try BoxPlot(boxes: d.boxes, width: rgb.width, height: rgb.height,
                                           colors: d.labels.map { BoxColor.palette[($0 - 1) % BoxColor.palette.count] },
                                           labels: labels, background: rgb)
                    try plot.write(to: out)
                } catch let e as BoxError { throw CLIError("--draw \(out.path): \(e.description)") }
            }
        }
        json += first ? "]\n" : "\n]\n"
        do { try json.write(toFile: output, atomically: true, encoding: .utf8) } catch {
            throw CLIError("--output \(output): cannot write (\(error.localizedDescription))")
        }
    }

    private func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self).dropFirst().dropLast().description
    }
}
