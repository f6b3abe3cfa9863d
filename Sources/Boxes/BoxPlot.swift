import Foundation

/// Boxes drawn on a canvas or an image, like the seed's `plot_bboxes` (catalogue B8):
/// unfilled rectangles, line width 2, dash-dot style (`linestyle='-.'`), one colour per box,
/// in image coordinates (origin top-left, y down, as the seed's inverted y axis).
/// Optional labels are written above each box's top-left corner in the box colour.
///
/// Output as SVG text (``svg()``) or as a raster (``render()``) for PNG files (``write(to:)``).
public struct BoxPlot: Sendable {
    public let width: Int
    public let height: Int
    /// Corners (x1, y1, x2, y2) of each box.
    public let corners: [Float]
    public let colors: [BoxColor]
    public let labels: [String]
    public var lineWidth: Float = 2
    /// On/off lengths in pixels; matplotlib's dash-dot at line width 2. Empty: solid.
    public var dashPattern: [Float] = [12.8, 3.2, 2, 3.2]
    /// Optional background image (its size replaces `width`×`height`).
    public var background: RGBImage?

    /// - Parameters:
    ///   - boxes: N×4 in `format` (the seed's layout is `.yxyx`); validated.
    ///   - colors: per-box colours; missing ones come from ``BoxColor/palette``.
    ///   - labels: per-box labels (missing ones are empty); at most one per box.
    public init(boxes: [Float], format: BoxFormat = .xyxy, width: Int, height: Int,
                colors: [BoxColor] = [], labels: [String] = [], background: RGBImage? = nil) throws {
        guard width > 0, height > 0, width <= 32768, height <= 32768 else {
            throw BoxError("canvas size must be between 1 and 32768, got \(width)×\(height)")
        }
        let c = try validatedCorners(boxes, format: format, name: "boxes")
        guard labels.count <= c.count else {
            throw BoxError("labels: \(labels.count) labels for \(c.count) boxes")
        }
        self.width = background?.width ?? width
        self.height = background?.height ?? height
        corners = c.flat(.xyxy)
        self.colors = (0..<c.count).map { $0 < colors.count ? colors[$0] : BoxColor.palette[($0 - colors.count) % BoxColor.palette.count] }
        self.labels = (0..<c.count).map { $0 < labels.count ? labels[$0] : "" }
        self.background = background
    }

    /// The scene as a standalone SVG document (background image embedded as a PNG data URI).
    public func svg() throws -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        if let background {
            let b64 = Data(try PNGCodec.encode(background)).base64EncodedString()
            s += "<image x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" href=\"data:image/png;base64,\(b64)\"/>\n"
        } else {
            s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        }
        let dash = dashPattern.isEmpty ? "" : " stroke-dasharray=\"\(dashPattern.map(fmt).joined(separator: ","))\""
        for i in 0..<(corners.count / 4) {
            let x1 = corners[4 * i], y1 = corners[4 * i + 1], x2 = corners[4 * i + 2], y2 = corners[4 * i + 3]
            s += "<rect x=\"\(fmt(x1))\" y=\"\(fmt(y1))\" width=\"\(fmt(x2 - x1))\" height=\"\(fmt(y2 - y1))\" fill=\"none\" stroke=\"\(colors[i].hex)\" stroke-width=\"\(fmt(lineWidth))\"\(dash)/>\n"
            if !labels[i].isEmpty {
                s += "<text x=\"\(fmt(x1))\" y=\"\(fmt(y1 - 3))\" fill=\"\(colors[i].hex)\" font-family=\"monospace\" font-size=\"12\">\(xmlEscaped(labels[i]))</text>\n"
            }
        }
        return s + "</svg>\n"
    }

    /// The scene rasterised: rectangles traced along their perimeter with a square pen of
    /// `lineWidth`, dashes continuing around corners as matplotlib's do; labels in the 5×7 font.
    public func render() -> RGBImage {
        var img = background ?? RGBImage(width: width, height: height)
        for i in 0..<(corners.count / 4) {
            let x1 = corners[4 * i], y1 = corners[4 * i + 1], x2 = corners[4 * i + 2], y2 = corners[4 * i + 3]
            let c = colors[i].bytes
            let path: [(Float, Float)] = [(x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1)]
            var travelled: Float = 0
            for k in 0..<4 {
                let (ax, ay) = path[k], (bx, by) = path[k + 1]
                let len = abs(bx - ax) + abs(by - ay)
                let steps = max(1, Int((len * 2).rounded(.up)))
                for s in 0...steps {
                    let t = Float(s) / Float(steps)
                    if isDrawn(at: travelled + t * len) { img.stamp(ax + t * (bx - ax), ay + t * (by - ay), size: lineWidth, c) }
                }
                travelled += len
            }
            if !labels[i].isEmpty {
                img.drawText(labels[i], x: Int(x1.rounded(.down)), y: Int(y1.rounded(.down)) - BitmapFont.height - 3, c)
            }
        }
        return img
    }

    /// Writes the plot as SVG or PNG, chosen by the file extension (`.svg`, `.png`).
    public func write(to url: URL) throws {
        switch url.pathExtension.lowercased() {
        case "svg":
            do { try Data(try svg().utf8).write(to: url) } catch let e as BoxError { throw e } catch {
                throw BoxError("\(url.path): cannot write SVG (\(error.localizedDescription))")
            }
        case "png": try PNGCodec.write(render(), to: url)
        default: throw BoxError("\(url.path): output must end in .svg or .png")
        }
    }

    private func isDrawn(at distance: Float) -> Bool {
        let period = dashPattern.reduce(0, +)
        guard period > 0 else { return true }
        var d = distance.truncatingRemainder(dividingBy: period)
        for (k, len) in dashPattern.enumerated() {
            if d < len { return k % 2 == 0 }
            d -= len
        }
        return true
    }
}

private func fmt(_ v: Float) -> String {
    v == v.rounded() && abs(v) < 1e7 ? String(Int(v)) : String(format: "%.3f", Double(v))
}

private func xmlEscaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
