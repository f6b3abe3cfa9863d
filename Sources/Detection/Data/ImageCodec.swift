import Boxes
import CTurboJPEG
import Foundation

/// A rejected dataset, image or option: one line naming the file and the entry.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Image files to 8-bit RGB and back: JPEG through libjpeg-turbo's TurboJPEG API, PNG through
/// libpng (``PNGCodec``). The result equals PIL's `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`:
/// grey and palette images are expanded, alpha is dropped (not composited), and a JPEG's EXIF
/// orientation (tags 1–8) is applied.
///
/// JPEG: accurate integer IDCT and smooth ("fancy") chroma upsampling, libjpeg's defaults, which
/// PIL also uses; results differ from PIL's only where its bundled libjpeg-turbo's SIMD code
/// rounds differently (±1–2 levels at most, see the tests). A warning from libjpeg (a truncated
/// or damaged stream) is an error, like PIL's "image file is truncated". CMYK JPEGs are refused.
/// PNG: a file gamma (`gAMA`) other than sRGB is converted by libpng; PIL ignores it.
public enum ImageCodec {
    /// Decodes JPEG or PNG bytes (recognised by their signature); `source` names the file in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> RGBImage {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return try decodeJPEG(bytes, source: source) }
        if bytes.count >= 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            do { return try PNGCodec.decode(bytes, source: source, dropAlpha: true) } catch let e as BoxError {
                throw DatasetError(e.description)
            }
        }
        throw DatasetError("\(source): not a JPEG or PNG file (\(bytes.count) bytes)")
    }

    /// Reads and decodes a file.
    public static func read(_ path: String) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError("\(path): \(FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")")
        }
        return try decode([UInt8](data), source: path)
    }

    /// Decodes a JPEG to RGB and applies its EXIF orientation.
    public static func decodeJPEG(_ bytes: [UInt8], source: String) throws -> RGBImage {
        guard let handle = tjInitDecompress() else { throw DatasetError("\(source): cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        func failure(_ what: String) -> DatasetError {
            DatasetError("\(source): \(what) (libjpeg-turbo: \(String(cString: tjGetErrorStr2(handle))))")
        }
        var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &w, &h, &subsampling, &colorspace)
        }
        guard header == 0 else { throw failure("corrupt JPEG (unreadable header)") }
        guard colorspace != Int32(TJCS_CMYK.rawValue), colorspace != Int32(TJCS_YCCK.rawValue) else {
            throw DatasetError("\(source): CMYK JPEGs are not supported (convert the file to RGB)")
        }
        guard w > 0, h > 0, Int(w) * Int(h) <= 1 << 28 else { throw DatasetError("\(source): unsupported JPEG size \(w)×\(h)") }
        var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        let status = pixels.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer {
                tjDecompress2(handle, $0.baseAddress, UInt($0.count), dst.baseAddress, w, 0, h, Int32(TJPF_RGB.rawValue), 0)
            }
        }
        guard status == 0 else { throw failure("corrupt JPEG data") }
        let image = try RGBImage(width: Int(w), height: Int(h), pixels: pixels)
        return applyOrientation(image, exifOrientation(jpeg: bytes))
    }

    /// Encodes `image` as a baseline JPEG (4:2:0 chroma subsampling below quality 90, 4:4:4 from 90).
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw DatasetError("JPEG quality \(quality) outside 1…100") }
        guard let handle = tjInitCompress() else { throw DatasetError("cannot start the JPEG encoder") }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let subsampling = quality >= 90 ? TJSAMP_444 : TJSAMP_420
        let status = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &out, &size, Int32(subsampling.rawValue), Int32(quality), 0)
        }
        defer { if let out { tjFree(out) } }
        guard status == 0, let out else {
            throw DatasetError("JPEG encode failed (libjpeg-turbo: \(String(cString: tjGetErrorStr2(handle))))")
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    /// The EXIF orientation (1–8) of a JPEG, 1 when absent or unreadable.
    public static func exifOrientation(jpeg b: [UInt8]) -> Int {
        var p = 2
        while p + 4 <= b.count, b[p] == 0xFF {
            let marker = b[p + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { p += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return 1 }   // image data starts: no EXIF before it
            let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
            let start = p + 4, end = p + 2 + length
            guard length >= 2, end <= b.count else { return 1 }
            if marker == 0xE1, end - start >= 14, b[start..<start + 6].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                return tiffOrientation(b, base: start + 6, end: end) ?? 1
            }
            p = end
        }
        return 1
    }

    /// Reads tag 0x0112 of IFD0 in the TIFF structure at `base..<end`.
    private static func tiffOrientation(_ b: [UInt8], base: Int, end: Int) -> Int? {
        guard base + 8 <= end else { return nil }
        let little: Bool
        switch (b[base], b[base + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= base, at + 2 <= end else { return nil }
            return little ? Int(b[at]) | Int(b[at + 1]) << 8 : Int(b[at]) << 8 | Int(b[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let lo = u16(little ? at : at + 2), let hi = u16(little ? at + 2 : at) else { return nil }
            return hi << 16 | lo
        }
        guard u16(base + 2) == 42, let ifd = u32(base + 4), let count = u16(base + ifd) else { return nil }
        for k in 0..<count {
            let entry = base + ifd + 2 + 12 * k
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let v = u16(entry + 8), (1...8).contains(v) else { return nil }
                return v
            }
        }
        return nil
    }

    /// Applies EXIF orientation `o` (PIL's `exif_transpose`): 2 mirror, 3 rotate 180°, 4 flip,
    /// 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    public static func applyOrientation(_ image: RGBImage, _ o: Int) -> RGBImage {
        guard (2...8).contains(o) else { return image }
        let w = image.width, h = image.height
        let swap = o >= 5
        let ow = swap ? h : w, oh = swap ? w : h
        var out = [UInt8](repeating: 0, count: w * h * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy): (Int, Int)
                        switch o {
                        case 2: (sx, sy) = (w - 1 - x, y)
                        case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case 4: (sx, sy) = (x, h - 1 - y)
                        case 5: (sx, sy) = (y, x)
                        case 6: (sx, sy) = (y, h - 1 - x)
                        case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                        default: (sx, sy) = (w - 1 - y, x)
                        }
                        let s = 3 * (sy * w + sx), d = 3 * (y * ow + x)
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return try! RGBImage(width: ow, height: oh, pixels: out)
    }
}
