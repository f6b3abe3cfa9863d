import Foundation
import TensorCore

/// Lays out generated road scenes: which classes each image holds (the seed's frequencies,
/// exactly), then per image a camera, road, annotated objects and distractors, all drawn from
/// generators seeded by (seed, split, image) so any image can be re-made alone.
public struct TrafficSignGenerator: Sendable {
    public var width: Int
    public var height: Int
    public var seed: UInt64

    public init(width: Int = 640, height: Int = 360, seed: UInt64 = 0) throws {
        guard (128...4096).contains(width), (96...4096).contains(height), width >= height else {
            throw DatasetError("image size \(width)×\(height): width 128…4096, height 96…4096, width ≥ height")
        }
        self.width = width; self.height = height; self.seed = seed
    }

    /// Pixel scale relative to the 640-pixel default (object sizes follow the width).
    var unit: Double { Double(width) / 640 }

    /// The classes of each of `count` images of `split`: totals equal
    /// ``TrafficSignClass/instanceCounts(images:)``; about 4% of images hold none.
    func classAssignment(split: UInt64, count: Int) -> [[TrafficSignClass]] {
        let d = Draws(seed: mix(seed, split, 0xC1A55))
        let totals = TrafficSignClass.instanceCounts(images: count)
        let total = totals.reduce(0, +)
        var k = (0..<count).map { _ -> Int in
            if d.chance(0.04) { return 0 }
            return 1 + (0..<5).filter { _ in d.chance(0.27) }.count
        }
        var sum = k.reduce(0, +), tries = 0
        let cap = max(7, (total + count - 1) / max(1, count) + 1)
        while sum != total, count > 0 {
            let i = d.int(0...count - 1)
            tries += 1
            let relaxed = tries > 50 * count   // tiny sets: empty images may gain or lose their last object
            if sum > total, k[i] > (relaxed ? 0 : 1) { k[i] -= 1; sum -= 1 }
            else if sum < total, k[i] > 0 || relaxed, k[i] < cap { k[i] += 1; sum += 1 }
        }
        var pool: [TrafficSignClass] = []
        for (c, n) in zip(TrafficSignClass.allCases, totals) { pool += Array(repeating: c, count: n) }
        for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, d.int(0...i)) }
        var out: [[TrafficSignClass]] = []
        var p = 0
        for n in k { out.append(Array(pool[p..<p + n])); p += n }
        return out
    }

    /// The scene of image `index` of `split` holding `classes`.
    func plan(split: UInt64, index: Int, classes: [TrafficSignClass]) -> ScenePlan {
        let d = Draws(seed: mix(seed, split, UInt64(index)))
        let W = Double(width), H = Double(height), unit = self.unit
        let cam = Camera(f: W * d.u(0.78, 0.95), cx: W * (0.5 + d.u(-0.08, 0.08)), horizon: H * d.u(0.34, 0.46),
                         height: d.u(2.0, 2.8))
        let lanes = d.int(2...4), laneWidth = d.u(3.2, 3.7)
        let grey = d.f(0.26, 0.46)
        var plan = ScenePlan(
            width: width, height: height, seed: mix(seed, split, UInt64(index), 7), camera: cam,
            roadLeft: -(Double(d.int(0...lanes - 1)) + 0.5) * laneWidth + d.u(-0.6, 0.6), laneWidth: laneWidth, lanes: lanes,
            dashPhase: d.u(0, 15),
            asphalt: d.color(SIMD3(grey, grey, grey * 1.03), 0.02),
            sidewalk: d.color(SIMD3(0.62, 0.6, 0.56), 0.06),
            verge: d.chance(0.5) ? d.color(SIMD3(0.3, 0.42, 0.2), 0.05) : d.color(SIMD3(0.45, 0.4, 0.33), 0.05),
            sky: (d.color(SIMD3(0.55, 0.68, 0.85), 0.1), d.color(SIMD3(0.85, 0.88, 0.9), 0.06)))
        let laneCentres = (0..<lanes).map { plan.roadLeft + (Double($0) + 0.5) * laneWidth }
        let roadRight = plan.roadLeft + Double(lanes) * laneWidth
        var taken: [Rect] = []   // annotated boxes (full extent)
        func free(_ r: Rect, margin: Double = 2) -> Bool {
            let e = r.expanded(margin * unit)
            return taken.allSatisfy { $0.intersection(e) == 0 }
        }
        func accept(_ c: TrafficSignClass, _ r: Rect) {
            taken.append(r)
            let v = r.clipped(width: width, height: height)
            plan.objects.append(SceneObject(category: c, bbox: (round2(v.x0), round2(v.y0), round2(v.width), round2(v.height))))
        }
        func sizeOK(_ r: Rect) -> Bool {
            let v = r.clipped(width: width, height: height)
            return v.area >= 0.75 * r.area && min(v.width, v.height) >= 8 * unit && v.area >= 110 * unit * unit
        }
        let nearest = cam.f * cam.height / (H - cam.horizon)   // Z where the road meets the bottom edge

        // Road marks, annotated ones first.
        func roadMark(_ style: RoadMark.Style, lane: Int) -> RoadMark {
            let arrow: Bool
            switch style { case .straightArrow, .leftArrow: arrow = true; default: arrow = false }
            let w = arrow ? d.u(1.0, 1.5) : laneWidth * d.u(0.55, 0.8), l = arrow ? d.u(3.0, 4.5) : d.u(2.6, 4.6)
            let near = nearest * 0.9 + (34 - nearest * 0.9) * pow(d.u(), 1.6)
            let white = d.color(SIMD3(0.9, 0.9, 0.88), 0.04)
            let color: SIMD3<Float>
            if case .grid = style { color = d.color(SIMD3(0.88, 0.72, 0.16), 0.05) } else { color = white }
            return RoadMark(style: style, X: laneCentres[lane] + d.u(-0.3, 0.3), Z: near + l / 2, yaw: d.u(-0.12, 0.12),
                            w: w, l: l, color: color, opacity: d.f(0.7, 0.95), wearSeed: mix(plan.seed, UInt64(plan.marks.count)),
                            wear: d.chance(0.6) ? d.f(0.1, 0.55) : 0)
        }
        var redLights: [TrafficSignClass] = []
        for c in classes {
            let style: RoadMark.Style
            switch c {
            case .redLight: redLights.append(c); continue
            case .straightArrow: style = .straightArrow
            case .leftArrow: style = .leftArrow
            case .noDriving: style = .hatched
            case .noParking: style = .grid
            }
            var best: (RoadMark, Rect)?
            for _ in 0..<60 {
                let m = roadMark(style, lane: d.int(0...lanes - 1))
                let r = m.imageBox(cam)
                if sizeOK(r), free(r) { best = (m, r); break }
                if best == nil, sizeOK(r) { best = (m, r) }   // overlapping: kept only if nothing better comes
            }
            if best == nil {   // fallback: the nearest mark in the camera's lane
                var m = roadMark(style, lane: 0)
                m.X = (plan.roadLeft + roadRight) / 2; m.Z = nearest + 6 + m.l / 2
                best = (m, m.imageBox(cam))
            }
            plan.marks.append(best!.0); accept(c, best!.1)
        }

        // Traffic lights: red ones annotated, others (yellow, green, dark) distractors.
        func light(_ state: TrafficLight.State) -> TrafficLight? {
            for _ in 0..<60 {
                let Z = d.logUniform(6, 34), s = cam.f / Z
                let X = d.u(plan.roadLeft - 2.5, roadRight + 2.5)
                var l = TrafficLight(x: cam.cx + cam.f * X / Z, y: 0, scale: s, angle: d.u(-0.07, 0.07), horizontal: d.chance(0.4),
                                     state: state, backplate: d.chance(0.35), housing: d.color(SIMD3(0.1, 0.1, 0.1), 0.05))
                let half = l.halfExtent.1
                let lowest = min(cam.horizon + 4 * unit, cam.horizon - cam.f * 0.3 / Z) - half
                guard lowest > half + 2 else { continue }
                l.y = d.u(half + 2, lowest)
                let r = l.box
                if state == .red ? sizeOK(r) && free(r) : free(r, margin: 4) { return l }
            }
            return nil
        }
        func mount(_ l: TrafficLight) {
            let Z = cam.f / l.scale, groundY = cam.horizon + cam.f * cam.height / Z
            let X = (l.x - cam.cx) * Z / cam.f, poleW = max(1.5, 0.16 * l.scale)
            let colour = d.color(SIMD3(0.35, 0.36, 0.36), 0.05)
            if X < plan.roadLeft || X > roadRight {
                plan.poles.append((Rect(x0: l.x - poleW / 2, y0: l.y, x1: l.x + poleW / 2, y1: groundY), colour))
            } else {   // a gantry arm to a pole at the nearer road edge
                let edge = X - plan.roadLeft < roadRight - X ? plan.roadLeft - 0.5 : roadRight + 0.5
                let px = cam.cx + cam.f * edge / Z, top = l.box.y0 + 0.1 * l.scale
                plan.poles.append((Rect(x0: min(px, l.x), y0: top, x1: max(px, l.x), y1: top + max(1.2, 0.14 * l.scale)), colour))
                plan.poles.append((Rect(x0: px - poleW / 2, y0: top, x1: px + poleW / 2, y1: groundY), colour))
            }
        }
        for c in redLights {
            if let l = light(.red) { plan.lights.append(l); mount(l); accept(c, l.box); continue }
            // fallback: a light in the sky above the road centre, mid distance
            let Z = 12.0
            var l = TrafficLight(x: cam.cx, y: 0, scale: cam.f / Z, angle: 0, horizontal: true, state: .red, backplate: false,
                                 housing: SIMD3(0.1, 0.1, 0.1))
            l.y = max(l.halfExtent.1 + 2, cam.horizon - cam.f * 2 / Z)
            plan.lights.append(l); accept(c, l.box)
        }
        let states: [TrafficLight.State] = [.green, .green, .yellow, .off]
        for _ in 0..<(d.chance(0.55) ? d.int(1...3) : 0) {
            if let l = light(states[d.int(0...3)]) { plan.lights.append(l); mount(l) }
        }

        // Distractor road marks: lane words, diamonds, stop bars, zebra stripes.
        for _ in 0..<d.int(0...3) {
            let kind = d.int(0...3)
            var m = roadMark(.bar, lane: d.int(0...lanes - 1))
            switch kind {
            case 0:
                var strokes: [Rect] = []
                for g in 0..<d.int(2...4) {   // blocky characters, one above the other
                    let top = -0.5 + Double(g) / 4, bottom = top + 0.2
                    for _ in 0..<d.int(2...4) {
                        let vertical = d.chance(0.5), a = d.u(-0.45, 0.3), b = d.u(top, bottom - 0.05)
                        strokes.append(vertical ? Rect(x0: a, y0: top, x1: a + 0.12, y1: bottom)
                                                : Rect(x0: a, y0: b, x1: min(0.5, a + d.u(0.3, 0.6)), y1: b + 0.05))
                    }
                }
                m.style = .glyph(strokes); m.l = d.u(3, 6)
            case 1: m.style = .diamond; m.w = d.u(1.2, 2.0); m.l = d.u(3, 5)
            case 2: m.style = .bar; m.w = laneWidth * 0.9; m.l = d.u(0.3, 0.5)
            default: m.style = .bar; m.w = d.u(0.4, 0.5); m.l = d.u(2.5, 4); m.X = d.u(plan.roadLeft, roadRight)
            }
            let r = m.imageBox(cam)
            if free(r, margin: 4) { plan.marks.append(m) }
        }
        if d.chance(0.15) {   // zebra crossing
            let Z = d.u(nearest + 4, 30), l = d.u(3, 5)
            var stripes: [RoadMark] = []
            var X = plan.roadLeft + 0.5
            while X < roadRight - 0.5 {
                stripes.append(RoadMark(style: .bar, X: X, Z: Z, yaw: 0, w: 0.45, l: l, color: SIMD3(0.88, 0.88, 0.86), opacity: 0.85,
                                        wearSeed: mix(plan.seed, UInt64(X * 100)), wear: 0.2))
                X += 1.0
            }
            if stripes.allSatisfy({ free($0.imageBox(cam), margin: 3) }) { plan.marks += stripes }
        }

        // Cars (occluding at most 30% of any annotated box), far ones first.
        for _ in 0..<d.int(0...3) {
            let car = Car(X: laneCentres[d.int(0...lanes - 1)] + d.u(-0.4, 0.4), Z: d.u(nearest + 3, 60),
                          body: d.color(SIMD3(0.45, 0.45, 0.48), 0.35))
            let r = car.box(cam)
            if taken.allSatisfy({ $0.intersection(r) <= 0.3 * $0.area }) { plan.cars.append(car) }
        }
        plan.cars.sort { $0.Z > $1.Z }

        // Roadside signs on poles.
        for _ in 0..<d.int(0...2) {
            let Z = d.u(8, 40), side = d.chance(0.5) ? plan.roadLeft - d.u(0.5, 2) : roadRight + d.u(0.5, 2)
            let (x, groundY) = cam.project(side, Z), radius = 0.4 * cam.f / Z
            let y = groundY - d.u(2.0, 3.0) * cam.f / Z
            let sign = Sign(kind: Sign.Kind.allCases[d.int(0...2)], x: x, y: y, radius: radius, poleBottom: groundY)
            if free(sign.box, margin: 3), y - radius > 0 {
                plan.signs.append(sign)
                plan.poles.append((Rect(x0: x - max(1, 0.05 * cam.f / Z), y0: y, x1: x + max(1, 0.05 * cam.f / Z), y1: groundY),
                                   SIMD3(0.5, 0.5, 0.5)))
            }
        }

        // Skyline, shadows, foliage.
        var x = -d.u(0, 40) * unit
        while x < W {
            let bw = d.u(30, 110) * unit, bh = d.u(0.15, 0.9) * cam.horizon
            let base = cam.horizon + d.u(1, 4) * unit
            plan.buildings.append((Rect(x0: x, y0: base - bh, x1: x + bw, y1: base), d.color(SIMD3(0.55, 0.52, 0.5), 0.15)))
            x += bw * d.u(0.6, 1.1)
        }
        for _ in 0..<d.int(0...3) {
            let y0 = d.u(cam.horizon + 10 * unit, H), y1 = min(H + 40, y0 + d.u(15, 90) * unit)
            let xa = d.u(-0.2, 1.0) * W, span = d.u(0.15, 0.6) * W, skew = d.u(-0.3, 0.3) * W
            plan.shadows.append(([(xa, y0), (xa + span, y0), (xa + span + skew, y1), (xa + skew, y1)], d.f(0.5, 0.8)))
        }
        for _ in 0..<d.int(0...2) {
            let cx = d.chance(0.5) ? d.u(-0.05, 0.2) * W : d.u(0.8, 1.05) * W, cy = d.u(0, cam.horizon)
            for _ in 0..<d.int(3...7) {
                let blob = (cx + d.u(-40, 40) * unit, cy + d.u(-30, 30) * unit, d.u(6, 22) * unit)
                let r = Rect(x0: blob.0 - blob.2, y0: blob.1 - blob.2, x1: blob.0 + blob.2, y1: blob.1 + blob.2)
                if taken.allSatisfy({ $0.intersection(r) <= 0.25 * $0.area }) { plan.foliage.append(blob) }
            }
        }
        plan.foliageColor = d.color(SIMD3(0.2, 0.33, 0.14), 0.06)

        // Light, optics, compression.
        plan.gain = d.f(0.5, 1.2)
        plan.fog = d.chance(0.2) ? d.f(0.2, 0.6) : 0
        plan.tint = d.color(SIMD3(1, 1, 1), 0.06)
        plan.vignette = d.f(0, 0.35)
        plan.blur = d.chance(0.7) ? d.u(0.3, 1.1) * unit : 0
        plan.motionBlur = d.chance(0.15) ? d.u(1, 2.5) * unit : 0
        plan.noise = d.f(0.005, 0.03)
        plan.quality = d.int(72...94)
        return plan
    }
}

@inline(__always) func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
