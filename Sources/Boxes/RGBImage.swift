/// An 8-bit RGB raster, row-major from the top-left corner (image coordinates: y grows down).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width·height·3` bytes, R G B per pixel.
    public var pixels: [UInt8]

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: BoxColor = .white) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size")
        self.width = width; self.height = height
        let (r, g, b) = background.bytes
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for k in 0..<(width * height) { pixels[3 * k] = r; pixels[3 * k + 1] = g; pixels[3 * k + 2] = b }
    }

    /// Wraps existing RGB bytes; throws when the byte count does not match the size.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width >= 0, height >= 0, pixels.count == width * height * 3 else {
            throw BoxError("RGBImage: \(pixels.count) bytes do not fill \(width)×\(height)×3")
        }
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// The colour at (x, y).
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let k = 3 * (y * width + x)
        return (pixels[k], pixels[k + 1], pixels[k + 2])
    }

    /// Paints pixel (x, y) when it lies on the canvas.
    mutating func plot(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let k = 3 * (y * width + x)
        pixels[k] = c.0; pixels[k + 1] = c.1; pixels[k + 2] = c.2
    }

    /// Paints a filled square pen of side `size` centred at (x, y).
    mutating func stamp(_ x: Float, _ y: Float, size: Float, _ c: (UInt8, UInt8, UInt8)) {
        let half = size / 2
        let x0 = Int((x - half).rounded(.toNearestOrEven)), x1 = Int((x + half).rounded(.toNearestOrEven)) - 1
        let y0 = Int((y - half).rounded(.toNearestOrEven)), y1 = Int((y + half).rounded(.toNearestOrEven)) - 1
        guard x1 >= x0, y1 >= y0 else { plot(Int(x.rounded(.down)), Int(y.rounded(.down)), c); return }
        for yy in y0...y1 { for xx in x0...x1 { plot(xx, yy, c) } }
    }

    /// Draws `text` with the built-in 5×7 font, top-left at (x, y), each font pixel `scale`² pixels.
    mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: (UInt8, UInt8, UInt8)) {
        var cx = x
        for ch in text {
            let rows = BitmapFont.rows(ch)
            for (r, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.width where bits & (0x10 >> UInt8(col)) != 0 {
                    for dy in 0..<scale { for dx in 0..<scale { plot(cx + col * scale + dx, y + r * scale + dy, c) } }
                }
            }
            cx += BitmapFont.advance * scale
        }
    }
}

/// An RGB colour with components in [0, 1] (matplotlib's convention, as in the seed).
public struct BoxColor: Sendable, Equatable {
    public var red: Float, green: Float, blue: Float
    public init(red: Float, green: Float, blue: Float) { self.red = red; self.green = green; self.blue = blue }

    public static let white = BoxColor(red: 1, green: 1, blue: 1)
    public static let green = BoxColor(red: 0, green: 1, blue: 0)
    public static let yellow = BoxColor(red: 1, green: 1, blue: 0)
    public static let red = BoxColor(red: 1, green: 0, blue: 0)
    public static let purple = BoxColor(red: 1, green: 0, blue: 1)

    /// matplotlib's `tab10` cycle, used for boxes without a colour.
    /// Deviation: the seed fills missing colours with `np.random.rand(3)`; ours are deterministic.
    public static let palette: [BoxColor] = [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ].map { BoxColor(red: Float($0.0) / 255, green: Float($0.1) / 255, blue: Float($0.2) / 255) }

    /// Parses `#rrggbb`, `r,g,b` (0–1 floats) or a name (green, yellow, red, purple, white, black, blue).
    public init(parsing text: String) throws {
        let names: [String: BoxColor] = ["green": .green, "yellow": .yellow, "red": .red, "purple": .purple,
                                         "white": .white, "black": BoxColor(red: 0, green: 0, blue: 0),
                                         "blue": BoxColor(red: 0, green: 0, blue: 1)]
        if let c = names[text.lowercased()] { self = c; return }
        if text.hasPrefix("#"), text.count == 7, let v = UInt32(text.dropFirst(), radix: 16) {
            self.init(red: Float((v >> 16) & 255) / 255, green: Float((v >> 8) & 255) / 255, blue: Float(v & 255) / 255)
            return
        }
        let parts = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw BoxError("colour '\(text)': expected #rrggbb, r,g,b in [0, 1] or a colour name")
        }
        self.init(red: parts[0], green: parts[1], blue: parts[2])
    }

    /// 8-bit components (rounded like matplotlib's `to_hex`).
    var bytes: (UInt8, UInt8, UInt8) {
        func q(_ v: Float) -> UInt8 { UInt8(min(max(v, 0), 1) * 255 + 0.5) }
        return (q(red), q(green), q(blue))
    }

    /// `#rrggbb`.
    public var hex: String {
        let (r, g, b) = bytes
        return "#" + [r, g, b].map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

import Foundation

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
