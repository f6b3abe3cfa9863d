import Boxes
import Foundation
import TestSupport
import Testing
@testable import Detection

/// Image files committed by scripts/fixtures/make_images.py, with PIL's decoding of each.
enum ImageFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/images")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    static let decoded: Fixture? = try? Fixture("images_decoded")
}

@Test("JPEG and PNG decoding equals PIL's exif_transpose(open(f)).convert('RGB')",
      arguments: ["rgb420.jpg", "rgb444.jpg", "progressive.jpg", "gray.jpg",
                  "orient1.jpg", "orient2.jpg", "orient3.jpg", "orient4.jpg", "orient5.jpg", "orient6.jpg", "orient7.jpg", "orient8.jpg",
                  "rgb.png", "gray.png", "bilevel.png", "palette.png", "palette_trns.png", "rgba.png", "gray_alpha.png"])
func decodeMatchesPIL(name: String) throws {
    let expected = try #require(ImageFixtures.decoded).array(name)
    let image = try ImageCodec.read(ImageFixtures.path(name))
    #expect([image.height, image.width, 3] == expected.shape, "\(name): size")
    guard [image.height, image.width, 3] == expected.shape else { return }
    // PNG is lossless: exact. JPEG: exact today (Pillow 13 against Debian's libjpeg-turbo 2.1.5),
    // but Pillow's wheel bundles its own libjpeg-turbo, whose SIMD IDCT and upsampling may round a
    // level or two differently in another version (same algorithms: accurate integer IDCT, smooth
    // chroma upsampling), so ±2 is allowed.
    let tolerance = name.hasSuffix(".png") ? 0 : 2
    var worst = 0
    for (a, b) in zip(image.pixels, expected.bytes) { worst = max(worst, abs(Int(a) - Int(b))) }
    #expect(worst <= tolerance, "\(name): largest difference from PIL \(worst) > \(tolerance)")
}

@Test("EXIF orientation tags 1-8 are read; files without EXIF read as 1")
func exifOrientationTags() throws {
    for o in 1...8 {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ImageFixtures.path("orient\(o).jpg"))))
        #expect(ImageCodec.exifOrientation(jpeg: bytes) == o)
    }
    let plain = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ImageFixtures.path("rgb420.jpg"))))
    #expect(ImageCodec.exifOrientation(jpeg: plain) == 1)
    // Orientations 5-8 swap width and height.
    let base = try ImageCodec.read(ImageFixtures.path("orient1.jpg"))
    let turned = try ImageCodec.read(ImageFixtures.path("orient6.jpg"))
    #expect((turned.width, turned.height) == (base.height, base.width))
}

@Test("Broken, truncated, missing and non-image files are one error naming the file")
func brokenImages() throws {
    for (name, words) in [("truncated.jpg", ["truncated.jpg", "corrupt JPEG"]), ("truncated.png", ["truncated.png", "PNG"]),
                          ("text.jpg", ["text.jpg", "not a JPEG or PNG"]), ("absent.jpg", ["absent.jpg", "no such file"])] {
        do {
            _ = try ImageCodec.read(ImageFixtures.path(name))
            Issue.record("\(name): decoded without error")
        } catch let e as DatasetError {
            for w in words { #expect(e.description.contains(w), "\(name): '\(e.description)' lacks '\(w)'") }
            #expect(!e.description.contains("\n"))
        }
    }
}

@Test("JPEG encoding round trip stays close; the encoder is deterministic")
func jpegRoundTrip() throws {
    var pixels = [UInt8](repeating: 0, count: 48 * 32 * 3)
    for y in 0..<32 { for x in 0..<48 { pixels[3 * (y * 48 + x)] = UInt8(x * 5); pixels[3 * (y * 48 + x) + 1] = UInt8(y * 7); pixels[3 * (y * 48 + x) + 2] = 90 } }
    let image = try RGBImage(width: 48, height: 32, pixels: pixels)
    let a = try ImageCodec.encodeJPEG(image, quality: 95), b = try ImageCodec.encodeJPEG(image, quality: 95)
    #expect(a == b)
    let back = try ImageCodec.decode(a, source: "memory")
    let worst = zip(back.pixels, pixels).map { abs(Int($0) - Int($1)) }.max()!
    #expect(worst <= 12, "round trip differs by \(worst)")
    #expect(throws: DatasetError.self) { try ImageCodec.encodeJPEG(image, quality: 0) }
}

@Test("applyOrientation composes as PIL's transposes: 6 then 8 is the identity, 3 twice too")
func orientationAlgebra() throws {
    let image = try ImageCodec.read(ImageFixtures.path("orient1.jpg"))
    for (a, b) in [(6, 8), (8, 6), (3, 3), (2, 2), (4, 4), (5, 5), (7, 7)] {
        let back = ImageCodec.applyOrientation(ImageCodec.applyOrientation(image, a), b) == image
        #expect(back, "orientation \(a) then \(b)")
    }
}
