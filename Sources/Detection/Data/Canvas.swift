import Boxes
import Foundation

/// A floating-point RGB raster (values in [0, 1], row-major, y down) for procedural scenes:
/// supersampled painting through a per-point shader, separable Gaussian blur, noise, and
/// conversion to an 8-bit ``RGBImage``.
struct Canvas {
    let width: Int, height: Int
    var pixels: [SIMD3<Float>]

    init(width: Int, height: Int, fill: SIMD3<Float> = .zero) {
        self.width = width; self.height = height
        pixels = [SIMD3<Float>](repeating: fill, count: width * height)
    }

    subscript(x: Int, y: Int) -> SIMD3<Float> {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Composites `shade` over the pixels touching `box` (x0, y0, x1, y1 in image coordinates),
    /// each pixel the average of `samples`² points. `shade(x, y)` returns colour and coverage at
    /// a point (nil: nothing there).
    mutating func paint(_ box: Rect, samples: Int = 3, _ shade: (Double, Double) -> SIMD4<Float>?) {
        let x0 = max(0, Int(box.x0.rounded(.down))), x1 = min(width - 1, Int(box.x1.rounded(.up)))
        let y0 = max(0, Int(box.y0.rounded(.down))), y1 = min(height - 1, Int(box.y1.rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let n = Float(samples * samples), step = 1 / Double(samples)
        for y in y0...y1 {
            for x in x0...x1 {
                var color = SIMD3<Float>.zero, alpha: Float = 0
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        guard let c = shade(Double(x) + (Double(sx) + 0.5) * step, Double(y) + (Double(sy) + 0.5) * step),
                              c.w > 0 else { continue }
                        color += SIMD3(c.x, c.y, c.z) * c.w
                        alpha += c.w
                    }
                }
                guard alpha > 0 else { continue }
                let a = alpha / n
                let k = y * width + x
                pixels[k] = pixels[k] * (1 - a) + color / alpha * a
            }
        }
    }

    /// Multiplies the pixels inside `contains` by `factor` (shadows, lighting).
    mutating func scale(_ box: Rect, by factor: SIMD3<Float>, samples: Int = 2, where contains: (Double, Double) -> Bool) {
        let before = pixels, w = width, h = height
        paint(box, samples: samples) { x, y in
            guard contains(x, y) else { return nil }
            let p = before[min(h - 1, Int(y)) * w + min(w - 1, Int(x))] * factor
            return SIMD4(p.x, p.y, p.z, 1)
        }
    }

    /// Separable Gaussian blur with standard deviation `sigma` (pixels), edges clamped.
    mutating func blur(sigma: Double, horizontalOnly: Bool = false) {
        guard sigma > 0.2 else { return }
        let r = Int((3 * sigma).rounded(.up))
        var kernel = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var tmp = pixels
        for y in 0..<height {
            for x in 0..<width {
                var s = SIMD3<Float>.zero
                for k in -r...r { s += pixels[y * width + min(width - 1, max(0, x + k))] * kernel[k + r] }
                tmp[y * width + x] = s
            }
        }
        if horizontalOnly { pixels = tmp; return }
        for y in 0..<height {
            for x in 0..<width {
                var s = SIMD3<Float>.zero
                for k in -r...r { s += tmp[min(height - 1, max(0, y + k)) * width + x] * kernel[k + r] }
                pixels[y * width + x] = s
            }
        }
    }

    /// 8-bit RGB, clamped and rounded.
    func image() -> RGBImage {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for (k, p) in pixels.enumerated() {
            let q = (simd_clamp(p, .zero, .one) * 255 + 0.5)
            bytes[3 * k] = UInt8(q.x); bytes[3 * k + 1] = UInt8(q.y); bytes[3 * k + 2] = UInt8(q.z)
        }
        return try! RGBImage(width: width, height: height, pixels: bytes)
    }
}

@inline(__always) func simd_clamp(_ v: SIMD3<Float>, _ lo: SIMD3<Float>, _ hi: SIMD3<Float>) -> SIMD3<Float> {
    v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
}

/// An axis-aligned rectangle in image coordinates.
struct Rect: Equatable, Sendable {
    var x0: Double, y0: Double, x1: Double, y1: Double
    var width: Double { x1 - x0 }
    var height: Double { y1 - y0 }
    var area: Double { max(0, width) * max(0, height) }

    /// The bounding box of `points`.
    init(bounding points: [(Double, Double)]) {
        x0 = points.map(\.0).min()!; x1 = points.map(\.0).max()!
        y0 = points.map(\.1).min()!; y1 = points.map(\.1).max()!
    }
    init(x0: Double, y0: Double, x1: Double, y1: Double) { self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1 }

    func clipped(width w: Int, height h: Int) -> Rect {
        Rect(x0: max(0, x0), y0: max(0, y0), x1: min(Double(w), x1), y1: min(Double(h), y1))
    }
    func expanded(_ d: Double) -> Rect { Rect(x0: x0 - d, y0: y0 - d, x1: x1 + d, y1: y1 + d) }
    func intersection(_ o: Rect) -> Double {
        max(0, min(x1, o.x1) - max(x0, o.x0)) * max(0, min(y1, o.y1) - max(y0, o.y0))
    }
}

/// Deterministic lattice noise: a hash of integer coordinates and a seed to [0, 1).
@inline(__always) func latticeHash(_ i: Int, _ j: Int, _ seed: UInt64) -> Float {
    var h = UInt64(bitPattern: Int64(i)) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(j)) &* 0xC2B2_AE3D_27D4_EB4F ^ seed
    h ^= h >> 29; h = h &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 32
    return Float(h >> 40) * 0x1p-24
}

/// Smooth value noise in [0, 1) at (x, y) (lattice spacing 1).
func valueNoise(_ x: Double, _ y: Double, _ seed: UInt64) -> Float {
    let fx = x.rounded(.down), fy = y.rounded(.down)
    let i = Int(fx), j = Int(fy)
    let tx = Float(x - fx), ty = Float(y - fy)
    let sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty)
    let a = latticeHash(i, j, seed), b = latticeHash(i + 1, j, seed)
    let c = latticeHash(i, j + 1, seed), d = latticeHash(i + 1, j + 1, seed)
    return (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy
}

/// Three octaves of ``valueNoise``, in [0, 1).
func fractalNoise(_ x: Double, _ y: Double, _ seed: UInt64) -> Float {
    (valueNoise(x, y, seed) * 0.57 + valueNoise(2.03 * x, 2.03 * y, seed &+ 1) * 0.29 + valueNoise(4.1 * x, 4.1 * y, seed &+ 2) * 0.14)
}

/// Even–odd point-in-polygon test.
func polygonContains(_ poly: [(Double, Double)], _ x: Double, _ y: Double) -> Bool {
    var inside = false
    var j = poly.count - 1
    for i in 0..<poly.count {
        let (xi, yi) = poly[i], (xj, yj) = poly[j]
        if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
        j = i
    }
    return inside
}
