import Boxes
import Foundation
import Testing
@testable import Detection

/// Debian's chromium, installed with apt-get when missing and possible (CI runs as root); nil otherwise.
func chromiumPath() -> String? {
    func find() -> String? { ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) } }
    if let p = find() { return p }
    guard getuid() == 0 else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null 2>&1)"]
    try? p.run()
    p.waitUntilExit()
    return find()
}

/// A report of synthetic results (AP 0.30…0.36, two seeds) over a generated set with an SE attention map.
func syntheticReport() throws -> (String, String) {
    let data = try trainingDataset()
    let plan = experimentPlan(modules: ["none", "se", "eca", "cbam-block"], seeds: 2)
    let rs = [("none", 0.30), ("se", 0.36), ("eca", 0.31), ("cbam-block", 0.33)].flatMap { m, ap in
        [runResult(m, 0, ap: ap), runResult(m, 1, ap: ap + 0.01 * (m == "eca" ? -1 : 1))]
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exp-report-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let valSet = try COCODataset(directory: data, split: "val")
    _ = try ExperimentOutput.write(plan: plan, results: rs, to: ExperimentFolder(dir), valSet: valSet, sources: [])
    return (data, dir)
}

@Test("report.html: self-contained (no scripts, no network), every chart present, the attention map of the best module")
func reportContents() throws {
    let (data, dir) = try syntheticReport()
    defer { try? FileManager.default.removeItem(atPath: data); try? FileManager.default.removeItem(atPath: dir) }
    let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
    for id in ExperimentReport.chartIDs { #expect(html.contains("id=\"\(id)\""), "\(id) missing") }
    #expect(!html.contains("<script"))
    #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
    #expect(html.contains("se at <code>layer3.1.after_conv3</code>"), "the best module (se) is the one mapped")
    #expect(html.components(separatedBy: "<polyline").count - 1 == 8, "4 modules × 2 PR panels")
    #expect(html.contains("best module: se"))
}

@Test("attention map: SE's gate at layer3's last block is a sigmoid scale in (0, 1) per pixel")
func attentionMapSE() throws {
    let plan = experimentPlan(modules: ["none", "se"])
    let gen = try TrafficSignGenerator(width: 128, height: 96, seed: 1)
    let image = gen.image(split: "val", index: 0, count: 1).0
    let map = try AttentionMap.capture(plan: plan, module: "se", image: image, weights: nil)
    #expect(map.place == "layer3.1.after_conv3" && map.width == 8 && map.height == 6)
    #expect(map.values.allSatisfy { $0 > 0 && $0 < 1 })
    #expect(Set(map.values.map { ($0 * 1e4).rounded() }).count > 1, "the scale varies over the image")
    let overlay = map.overlay(on: image)
    #expect(overlay.width == 128 && overlay.pixels != image.pixels)
}

@Test("report.html in headless chromium: the screenshot is not blank and the rendered DOM holds every chart",
      .enabled(if: chromiumPath() != nil, "chromium is missing and apt-get could not install it"))
func reportInBrowser() throws {
    let (data, dir) = try syntheticReport()
    defer { try? FileManager.default.removeItem(atPath: data) }
    let chromium = chromiumPath()!
    let shot = dir + "/report.png"
    func run(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(dir)/profile"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: d, as: UTF8.self)
    }
    _ = try run(["--screenshot=\(shot)", "--window-size=1400,3000", "file://\(dir)/report.html"])
    let image = try PNGCodec.read(from: URL(fileURLWithPath: shot))
    #expect(image.width == 1400 && image.height == 3000)
    var colors = Set<Int>(), nonWhite = 0
    for i in stride(from: 0, to: image.pixels.count, by: 3) {
        let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
        colors.insert(r << 16 | g << 8 | b)
        if r < 240 || g < 240 || b < 240 { nonWhite += 1 }
    }
    #expect(colors.count > 200, "\(colors.count) colours")
    #expect(Double(nonWhite) / Double(image.width * image.height) > 0.05, "non-white fraction \(nonWhite)")
    let dom = try run(["--dump-dom", "file://\(dir)/report.html"])
    for id in ExperimentReport.chartIDs { #expect(dom.contains("id=\"\(id)\""), "\(id) not in the rendered DOM") }
    print("report screenshot: \(shot)")
}
