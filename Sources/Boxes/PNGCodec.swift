import CPNG
import Foundation

/// PNG encoding and decoding of ``RGBImage`` through the system libpng (simplified API).
public enum PNGCodec {
    /// Encodes `image` as an 8-bit RGB PNG.
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(image.width); img.height = UInt32(image.height)
        img.format = UInt32(PNG_FORMAT_RGB)
        var size: Int = 0
        let stride = Int32(image.width * 3)
        // First call sizes the buffer, the second writes it.
        guard image.pixels.withUnsafeBytes({ png_image_write_to_memory(&img, nil, &size, 0, $0.baseAddress, stride, nil) }) != 0 else {
            throw BoxError("PNG encode failed: \(message(img))")
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&img, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok != 0 else { throw BoxError("PNG encode failed: \(message(img))") }
        return Array(out.prefix(size))
    }

    /// Decodes any PNG to RGB (grey and palette are expanded, alpha is composited on white, or
    /// dropped with `dropAlpha`, as PIL's `convert("RGB")` does).
    public static func decode(_ bytes: [UInt8], source: String = "PNG", dropAlpha: Bool = false) throws -> RGBImage {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&img, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw BoxError("\(source): not a readable PNG (\(message(img)))") }
        img.format = UInt32(dropAlpha ? PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA : PNG_FORMAT_RGB)
        let w = Int(img.width), h = Int(img.height), channels = dropAlpha ? 4 : 3
        guard w > 0, h > 0, w * h <= 1 << 28 else {
            png_image_free(&img)
            throw BoxError("\(source): unsupported PNG size \(w)×\(h)")
        }
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        var background = png_color(red: 255, green: 255, blue: 255)
        let ok = pixels.withUnsafeMutableBytes { dst in
            withUnsafeMutablePointer(to: &background) {
                png_image_finish_read(&img, dropAlpha ? nil : $0, dst.baseAddress, Int32(w * channels), nil)
            }
        }
        guard ok != 0 else { throw BoxError("\(source): PNG decode failed (\(message(img)))") }
        if dropAlpha {
            for k in 0..<(w * h) {
                pixels[3 * k] = pixels[4 * k]; pixels[3 * k + 1] = pixels[4 * k + 1]; pixels[3 * k + 2] = pixels[4 * k + 2]
            }
            pixels.removeLast(w * h)
        }
        return try RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Reads a PNG file.
    public static func read(from url: URL) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BoxError("\(url.path): cannot read file")
        }
        return try decode([UInt8](data), source: url.path)
    }

    /// Writes `image` as a PNG file.
    public static func write(_ image: RGBImage, to url: URL) throws {
        do { try Data(try encode(image)).write(to: url) } catch let e as BoxError { throw e } catch {
            throw BoxError("\(url.path): cannot write PNG (\(error.localizedDescription))")
        }
    }

    private static func message(_ img: png_image) -> String {
        var m = img.message
        return withUnsafeBytes(of: &m) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
