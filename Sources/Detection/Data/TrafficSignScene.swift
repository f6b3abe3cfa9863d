import Foundation
import TensorCore

/// The five classes of seed 002's traffic-sign dataset, in its category order (COCO ids 1…5).
public enum TrafficSignClass: Int, CaseIterable, Sendable {
    case redLight = 1, straightArrow, leftArrow, noDriving, noParking

    /// The seed's category name.
    public var name: String {
        switch self {
        case .redLight: "red_tl"
        case .straightArrow: "arr_s"
        case .leftArrow: "arr_l"
        case .noDriving: "no_driving_mark_allsort"
        case .noParking: "no_parking_mark"
        }
    }

    /// Instances in the seed's training set (2226 images): its printed table.
    public var seedCount: Int {
        switch self {
        case .redLight: 1465
        case .straightArrow: 1133
        case .leftArrow: 638
        case .noDriving: 622
        case .noParking: 1142
        }
    }

    public static let seedImages = 2226

    /// Instances for a set of `images` images: the seed's counts scaled, rounded.
    public static func instanceCounts(images: Int) -> [Int] {
        allCases.map { Int((Double($0.seedCount) * Double(images) / Double(seedImages)).rounded()) }
    }
}

/// One annotated object of a generated scene.
public struct SceneObject: Sendable, Equatable {
    public let category: TrafficSignClass
    /// `x, y, w, h` in pixels (COCO bbox), the object's full extent clipped to the image.
    public let bbox: (Double, Double, Double, Double)
    public static func == (a: SceneObject, b: SceneObject) -> Bool {
        a.category == b.category && a.bbox == b.bbox
    }
}

/// Pinhole camera over a flat road: ground point (X lateral, Z ahead) in metres → pixels.
struct Camera {
    var f: Double, cx: Double, horizon: Double, height: Double

    func project(_ X: Double, _ Z: Double) -> (Double, Double) { (cx + f * X / Z, horizon + f * height / Z) }

    /// The ground point seen at pixel (x, y); nil at or above the horizon.
    func ground(_ x: Double, _ y: Double) -> (Double, Double)? {
        guard y > horizon + 0.05 else { return nil }
        let Z = f * height / (y - horizon)
        return ((x - cx) * Z / f, Z)
    }
}

/// A flat shape painted on the road, in its own frame: `a` across (−w/2…w/2), `b` along the road
/// (−l/2 near … l/2 far), centred at ground point (X, Z), turned by `yaw`.
struct RoadMark {
    enum Style: Sendable { case straightArrow, leftArrow, hatched, grid, diamond, glyph([Rect]), bar }
    var style: Style
    var X: Double, Z: Double, yaw: Double, w: Double, l: Double
    var color: SIMD3<Float>, opacity: Float, wearSeed: UInt64, wear: Float

    /// Outline vertices in normalised frame coordinates (a / w, b / l).
    var outline: [(Double, Double)] {
        switch style {
        case .straightArrow:
            let sw = 0.17, hl = 0.32
            return [(-sw, -0.5), (sw, -0.5), (sw, 0.5 - hl), (0.5, 0.5 - hl), (0, 0.5), (-0.5, 0.5 - hl), (-sw, 0.5 - hl)]
        case .leftArrow:
            return [(0.22, -0.5), (0.5, -0.5), (0.5, 0.34), (-0.1, 0.34), (-0.1, 0.5), (-0.5, 0.25), (-0.1, 0.0), (-0.1, 0.16), (0.22, 0.16)]
        case .diamond: return [(0, -0.5), (0.5, 0), (0, 0.5), (-0.5, 0)]
        default: return [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
        }
    }

    func toGround(_ a: Double, _ b: Double) -> (Double, Double) {
        let (s, c) = (sin(yaw), cos(yaw))
        return (X + a * w * c + b * l * s, Z - a * w * s + b * l * c)
    }

    func fromGround(_ gx: Double, _ gz: Double) -> (Double, Double) {
        let (s, c) = (sin(yaw), cos(yaw)), dx = gx - X, dz = gz - Z
        return ((dx * c - dz * s) / w, (dx * s + dz * c) / l)
    }

    func imageBox(_ cam: Camera) -> Rect {
        Rect(bounding: outline.map { toGround($0.0, $0.1) }.map { cam.project($0.0, $0.1) })
    }

    /// Whether frame point (a, b) (normalised) carries paint.
    func painted(_ a: Double, _ b: Double) -> Bool {
        guard abs(a) <= 0.5, abs(b) <= 0.5 else { return false }
        let am = a * w, bm = b * l   // metres
        switch style {
        case .straightArrow, .leftArrow: return polygonContains(outline, a, b)
        case .hatched:
            let border = 0.16
            if w / 2 - abs(am) < border || l / 2 - abs(bm) < border { return true }
            let t = (am + bm) / 1.1
            return t - t.rounded(.down) < 0.22
        case .grid:
            let border = 0.14
            if w / 2 - abs(am) < border || l / 2 - abs(bm) < border { return true }
            let t1 = (am + bm) / 1.3, t2 = (am - bm) / 1.3
            return t1 - t1.rounded(.down) < 0.13 || t2 - t2.rounded(.down) < 0.13
        case .diamond:
            let d = abs(a) + abs(b)
            return d <= 0.5 && d >= 0.5 - 0.2 / min(w, l)
        case .glyph(let strokes):
            return strokes.contains { a >= $0.x0 && a <= $0.x1 && b >= $0.y0 && b <= $0.y1 }
        case .bar: return true
        }
    }
}

/// A traffic-light housing standing upright, seen face-on.
struct TrafficLight {
    enum State: Sendable { case red, yellow, green, off }
    var x: Double, y: Double      // centre, pixels
    var scale: Double             // pixels per metre
    var angle: Double
    var horizontal: Bool
    var state: State
    var backplate: Bool
    var housing: SIMD3<Float>
    /// Housing size in metres (across, along the lamps).
    static let size = (0.46, 1.22)

    var halfExtent: (Double, Double) {
        let (a, b) = Self.size
        let pad = backplate ? 0.12 : 0
        return horizontal ? ((b / 2 + pad) * scale, (a / 2 + pad) * scale) : ((a / 2 + pad) * scale, (b / 2 + pad) * scale)
    }

    var box: Rect {
        let (hx, hy) = halfExtent, (s, c) = (sin(angle), cos(angle))
        return Rect(bounding: [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)].map { (x + $0.0 * c - $0.1 * s, y + $0.0 * s + $0.1 * c) })
    }

    /// Lamp centres along the long axis, in metres from the centre (red first: top or left).
    static let lamps: [Double] = [-0.38, 0, 0.38]
}

/// A car seen from behind, standing on the road at ground point (X, Z).
struct Car {
    var X: Double, Z: Double, body: SIMD3<Float>
    func box(_ cam: Camera) -> Rect {
        let (x, y) = cam.project(X, Z), s = cam.f / Z
        return Rect(x0: x - 0.9 * s, y0: y - 1.45 * s, x1: x + 0.9 * s, y1: y)
    }
}

/// An upright roadside sign on a pole: a red-ringed disc, a blue square or a yellow triangle.
struct Sign {
    enum Kind: CaseIterable { case prohibition, blueSquare, warning }
    var kind: Kind, x: Double, y: Double, radius: Double, poleBottom: Double
    var box: Rect { Rect(x0: x - radius, y0: y - radius, x1: x + radius, y1: y + radius) }
}

/// Everything drawn in one generated image, and its annotations.
struct ScenePlan {
    var width: Int, height: Int
    var seed: UInt64
    var camera: Camera
    var roadLeft: Double, laneWidth: Double, lanes: Int, dashPhase: Double
    var asphalt: SIMD3<Float>, sidewalk: SIMD3<Float>, verge: SIMD3<Float>
    var sky: (SIMD3<Float>, SIMD3<Float>)
    var buildings: [(Rect, SIMD3<Float>)] = []
    var marks: [RoadMark] = []
    var cars: [Car] = []
    var lights: [TrafficLight] = []
    var poles: [(Rect, SIMD3<Float>)] = []
    var signs: [Sign] = []
    var shadows: [([(Double, Double)], Float)] = []
    var foliage: [(Double, Double, Double)] = []
    var foliageColor = SIMD3<Float>(0.18, 0.32, 0.12)
    var tint = SIMD3<Float>(1, 1, 1)
    var gain: Float = 1, vignette: Float = 0, fog: Float = 0
    var blur: Double = 0, motionBlur: Double = 0, noise: Float = 0
    var quality = 90
    var objects: [SceneObject] = []
}

/// Uniform draws from a ``RandomGenerator``.
struct Draws {
    let rng: RandomGenerator
    init(seed: UInt64) { rng = RandomGenerator(seed: seed) }
    func u() -> Double { Double(rng.uniform(1)[0]) }
    func u(_ a: Double, _ b: Double) -> Double { a + (b - a) * u() }
    func f(_ a: Float, _ b: Float) -> Float { a + (b - a) * Float(u()) }
    func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + rng.integer(below: r.count) }
    func chance(_ p: Double) -> Bool { u() < p }
    func logUniform(_ a: Double, _ b: Double) -> Double { exp(u(log(a), log(b))) }
    func color(_ base: SIMD3<Float>, _ spread: Float) -> SIMD3<Float> {
        base + SIMD3(f(-spread, spread), f(-spread, spread), f(-spread, spread))
    }
}
