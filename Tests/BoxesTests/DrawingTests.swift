import Boxes
import Foundation
import Testing

@Suite("B8 drawing boxes")
struct DrawingTests {
    // The seed's GIoU example in (top, left, bottom, right) with its colours.
    private let seedBoxes: [Float] = [100, 100, 200, 150, 120, 95, 195, 129, 110, 110, 185, 140, 110, 190, 240, 240]
    private let seedColors: [BoxColor] = [.green, .yellow, .red, .purple]

    @Test("B8 SVG: one dash-dot rectangle per box in the seed's colours and coordinates, escaped labels")
    func svg() throws {
        let plot = try BoxPlot(boxes: seedBoxes, format: .yxyx, width: 250, height: 250, colors: seedColors,
                               labels: ["gt", "a<b"])
        let svg = try plot.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"250\" height=\"250\""))
        #expect(svg.contains("<rect x=\"100\" y=\"100\" width=\"50\" height=\"100\" fill=\"none\" stroke=\"#00ff00\" stroke-width=\"2\" stroke-dasharray=\"12.800,3.200,2,3.200\"/>"))
        #expect(svg.contains("<rect x=\"190\" y=\"110\" width=\"50\" height=\"130\" fill=\"none\" stroke=\"#ff00ff\""))
        #expect(svg.components(separatedBy: "fill=\"none\"").count - 1 == 4)
        #expect(svg.contains(">a&lt;b</text>"))
    }

    @Test("B8 PNG: rendered outlines carry the box colours, interiors stay white, encode/decode round trip")
    func png() throws {
        var plot = try BoxPlot(boxes: seedBoxes, format: .yxyx, width: 250, height: 250, colors: seedColors, labels: ["GT 1"])
        plot.dashPattern = []
        let img = plot.render()
        #expect(img.pixel(x: 125, y: 100) == (0, 255, 0))       // green top edge (x 100...150, y = 100)
        #expect(img.pixel(x: 240, y: 175) == (255, 0, 255))     // purple right edge
        #expect(img.pixel(x: 130, y: 150) == (255, 255, 255))   // inside the green and red boxes
        #expect(img.pixel(x: 5, y: 5) == (255, 255, 255))
        // Label pixels above the green box in green.
        let labelRows = (100 - 10)..<(100 - 3)
        #expect(labelRows.contains { y in (100..<125).contains { x in img.pixel(x: x, y: y) == (0, 255, 0) } })
        let bytes = try PNGCodec.encode(img)
        #expect(Array(bytes.prefix(8)) == [137, 80, 78, 71, 13, 10, 26, 10])
        let back = try PNGCodec.decode(bytes)
        #expect(back == img)
        // Dashed outlines leave gaps.
        let dashed = try BoxPlot(boxes: seedBoxes, format: .yxyx, width: 250, height: 250, colors: seedColors).render()
        let top = (100...150).map { dashed.pixel(x: $0, y: 100) == (0, 255, 0) }
        #expect(top.contains(true) && top.contains(false))
    }

    @Test("B8 drawing onto an image and writing files by extension; bad sizes, labels, extensions and colours")
    func filesAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("boxes-draw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bg = RGBImage(width: 64, height: 48, background: BoxColor(red: 0, green: 0, blue: 1))
        let plot = try BoxPlot(boxes: [4, 4, 30, 20], width: 1, height: 1, colors: [.red], background: bg)
        #expect(plot.width == 64 && plot.height == 48)
        try plot.write(to: dir.appendingPathComponent("a.png"))
        let read = try PNGCodec.read(from: dir.appendingPathComponent("a.png"))
        #expect(read.pixel(x: 60, y: 40) == (0, 0, 255))
        try plot.write(to: dir.appendingPathComponent("a.svg"))
        let svg = try String(contentsOf: dir.appendingPathComponent("a.svg"), encoding: .utf8)
        #expect(svg.contains("data:image/png;base64,"))
        expectBoxError("must end in .svg or .png") { try plot.write(to: dir.appendingPathComponent("a.jpg")) }
        expectBoxError("canvas size") { _ = try BoxPlot(boxes: [], width: 0, height: 10) }
        expectBoxError("labels: 2 labels for 1 boxes") { _ = try BoxPlot(boxes: [0, 0, 1, 1], width: 9, height: 9, labels: ["a", "b"]) }
        expectBoxError("colour 'blurple'") { _ = try BoxColor(parsing: "blurple") }
        expectBoxError("not a readable PNG") { _ = try PNGCodec.decode([1, 2, 3]) }
        #expect(try BoxColor(parsing: "#ff8000") == BoxColor(red: 1, green: 128 / 255, blue: 0))
    }
}
