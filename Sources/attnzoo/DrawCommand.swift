import ArgumentParser
import Boxes
import Foundation
import TensorIO

/// `attnzoo draw`: boxes on a canvas or an image, as SVG or PNG.
struct DrawCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw",
        abstract: "Draw boxes (dash-dot outlines, optional labels) like the seed's plot_bboxes; writes .svg or .png.")

    @Option(help: "Boxes, N×4 .npy.") var boxes: String
    @Option(parsing: .upToNextOption, help: "Labels, one per box in order (fewer is fine).") var labels: [String] = []
    @Option(parsing: .upToNextOption, help: "Colours, one per box: #rrggbb, r,g,b in [0, 1] or a name; missing ones use the tab10 cycle.")
    var colors: [String] = []
    @Option(help: "Box layout: xyxy, xywh, cxcywh or yxyx (the seed's).") var format: BoxFormat = .xyxy
    @Option(help: "Canvas width in pixels.") var width: Int
    @Option(help: "Canvas height in pixels.") var height: Int
    @Option(help: "Background PNG (its size must equal --width × --height).") var image: String?
    @Option(help: "Output file, .svg or .png.") var output: String

    func run() throws {
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        guard ext == "svg" || ext == "png" else { throw CLIError("--output \(output): must end in .svg or .png") }
        guard width > 0, height > 0, width <= 32768, height <= 32768 else {
            throw CLIError("--width/--height must lie in 1...32768, got \(width)×\(height)")
        }
        let b = try BoxFiles.boxes(boxes, option: "--boxes", format: format)
        if labels.count > b.count / 4 { throw CLIError("--labels: \(labels.count) labels for \(b.count / 4) boxes") }
        let palette = try colors.map { text in
            do { return try BoxColor(parsing: text) } catch let e as BoxError { throw CLIError("--colors: \(e.description)") }
        }
        var background: RGBImage?
        if let image {
            let img = try BoxFiles.run { try PNGCodec.read(from: URL(fileURLWithPath: image)) }
            guard img.width == width, img.height == height else {
                throw CLIError("--image \(image) is \(img.width)×\(img.height), but --width/--height say \(width)×\(height)")
            }
            background = img
        }
        try BoxFiles.run {
            let plot = try BoxPlot(boxes: b, format: format, width: width, height: height,
                                   colors: palette, labels: labels, background: background)
            try plot.write(to: URL(fileURLWithPath: output))
        }
    }
}
