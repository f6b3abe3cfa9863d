import Boxes
import Foundation

extension ScenePlan {
    /// Draws the scene: sky and skyline, textured road with lane lines, road marks, shadows,
    /// cars, poles and signs, traffic lights with glow, foliage; then lighting, blur and noise.
    func render() -> RGBImage {
        var canvas = Canvas(width: width, height: height)
        let cam = camera, W = width, H = height
        let roadRight = roadLeft + Double(lanes) * laneWidth

        // Sky with clouds, ground (road, sidewalk, verge) with perspective texture and lane lines.
        for y in 0..<H {
            let yc = Double(y) + 0.5
            for x in 0..<W {
                let xc = Double(x) + 0.5
                guard let (X, Z) = cam.ground(xc, yc), Z < 400 else {
                    let t = Float(max(0, min(1, yc / cam.horizon)))
                    let cloud = max(0, fractalNoise(xc / 90, yc / 35, seed &+ 11) - 0.45) * 1.6
                    canvas[x, y] = sky.0 * (1 - t) + sky.1 * t + SIMD3(repeating: cloud * 0.5)
                    continue
                }
                let fade = Float(min(1, 25 / Z))
                let texture = 0.82 + 0.36 * fractalNoise(X * 1.3, Z * 1.3, seed &+ 3)
                let grain = (latticeHash(x, y, seed &+ 5) - 0.5) * 0.12 * fade
                var c: SIMD3<Float>
                if X >= roadLeft, X <= roadRight {
                    c = asphalt * (texture + grain)
                    // lane lines: 2×2 samples for coverage
                    var cover: Float = 0
                    for s in 0..<4 {
                        guard let (sX, sZ) = cam.ground(Double(x) + 0.25 + 0.5 * Double(s & 1), Double(y) + 0.25 + 0.5 * Double(s >> 1))
                        else { continue }
                        if laneLine(sX, sZ, roadRight) { cover += 0.25 }
                    }
                    if cover > 0 { c = c * (1 - cover * 0.85) + SIMD3(0.86, 0.86, 0.84) * (cover * 0.85) }
                } else if X >= roadLeft - 3.5, X <= roadRight + 3.5 {
                    let tile = fractalNoise(X * 3, Z * 3, seed &+ 4)
                    c = sidewalk * (0.85 + 0.3 * tile + grain)
                } else {
                    c = verge * (0.7 + 0.6 * fractalNoise(X * 2, Z * 2, seed &+ 6) + grain)
                }
                canvas[x, y] = c
            }
        }
        // Skyline.
        for (k, (r, colour)) in buildings.enumerated() {
            let windows = latticeHash(k, 1, seed) < 0.6, pitch = max(5, 6 + 8 * Double(latticeHash(k, 2, seed)))
            canvas.paint(r, samples: 1) { x, y in
                guard x >= r.x0, x < r.x1, y >= r.y0, y < r.y1 else { return nil }
                var c = colour * (0.9 + 0.2 * valueNoise(x / 7, y / 7, seed &+ UInt64(k)))
                if windows {
                    let wx = (x - r.x0).truncatingRemainder(dividingBy: pitch), wy = (y - r.y0).truncatingRemainder(dividingBy: pitch)
                    if wx > pitch * 0.35, wy > pitch * 0.3 { c *= 0.55 }
                }
                return SIMD4(c.x, c.y, c.z, 1)
            }
            // Shop signboards (a third red): a coloured band with light strokes, near the building's foot.
            guard latticeHash(k, 3, seed) < 0.35 else { continue }
            let boards: [SIMD3<Float>] = [SIMD3(0.8, 0.1, 0.08), SIMD3(0.1, 0.3, 0.75), SIMD3(0.9, 0.75, 0.1)]
            let colour = boards[Int(latticeHash(k, 4, seed) * 3)]
            let bh = max(4, 0.12 * r.height), top = r.y1 - bh - 0.1 * r.height
            let board = Rect(x0: r.x0 + 0.1 * r.width, y0: top, x1: r.x1 - 0.1 * r.width, y1: top + bh)
            canvas.paint(board, samples: 1) { x, y in
                guard x >= board.x0, x < board.x1, y >= board.y0, y < board.y1 else { return nil }
                let stroke = latticeHash(Int((x - board.x0) / 3), Int((y - board.y0) / max(2, bh / 3)), seed &+ UInt64(k)) < 0.3
                let c = stroke ? SIMD3<Float>(0.95, 0.95, 0.9) : colour
                return SIMD4(c.x, c.y, c.z, 1)
            }
        }
        // Road marks, far ones first.
        for m in marks.sorted(by: { $0.Z > $1.Z }) {
            let samples = m.imageBox(cam).height < 30 ? 4 : 3
            canvas.paint(m.imageBox(cam).expanded(1), samples: samples) { x, y in
                guard let (X, Z) = cam.ground(x, y) else { return nil }
                let (a, b) = m.fromGround(X, Z)
                guard m.painted(a, b) else { return nil }
                var alpha = m.opacity
                if m.wear > 0, valueNoise(a * m.w * 2.5, b * m.l * 2.5, m.wearSeed) < m.wear { alpha *= 0.2 }
                return SIMD4(m.color.x, m.color.y, m.color.z, alpha)
            }
        }
        for (poly, factor) in shadows {
            canvas.scale(Rect(bounding: poly), by: SIMD3(factor, factor, factor * 1.06)) { polygonContains(poly, $0, $1) }
        }
        for (k, car) in cars.enumerated() { draw(car, braking: latticeHash(k, 9, seed) < 0.4, on: &canvas) }
        for (r, colour) in poles {
            canvas.paint(r, samples: 2) { x, y in
                x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1 ? SIMD4(colour.x, colour.y, colour.z, 1) : nil
            }
        }
        for sign in signs { draw(sign, on: &canvas) }
        for light in lights { draw(light, on: &canvas) }
        for light in lights { glow(light, on: &canvas) }
        for (k, (bx, by, br)) in foliage.enumerated() {
            canvas.paint(Rect(x0: bx - br, y0: by - br, x1: bx + br, y1: by + br), samples: 2) { x, y in
                let d = ((x - bx) * (x - bx) + (y - by) * (y - by)).squareRoot() / br
                let n = valueNoise(x / 3, y / 3, seed &+ 100 &+ UInt64(k))
                guard d < 0.75 + 0.35 * Double(n) else { return nil }
                let c = foliageColor * (0.6 + 0.8 * n)
                return SIMD4(c.x, c.y, c.z, 1)
            }
        }

        // Lighting, optics, sensor noise.
        let cx = Double(W) / 2, cy = Double(H) / 2, r2 = cx * cx + cy * cy
        let haze = (sky.1 + SIMD3(repeating: 0.7)) / 2
        for y in 0..<H {
            // Haze thickest at the horizon, where the far (small) objects are.
            let f = fog * Float(exp(-abs(Double(y) - cam.horizon) / (0.3 * Double(H))))
            for x in 0..<W {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let v = 1 - vignette * Float((dx * dx + dy * dy) / r2)
                canvas[x, y] = (canvas[x, y] * (1 - f) + haze * f) * tint * (gain * v)
            }
        }
        if motionBlur > 0 { canvas.blur(sigma: motionBlur, horizontalOnly: true) }
        canvas.blur(sigma: blur)
        for y in 0..<H {
            for x in 0..<W {
                let n = SIMD3(latticeHash(x, y, seed &+ 21) + latticeHash(x, y, seed &+ 22),
                              latticeHash(x, y, seed &+ 23) + latticeHash(x, y, seed &+ 24),
                              latticeHash(x, y, seed &+ 25) + latticeHash(x, y, seed &+ 26)) - 1
                canvas[x, y] += n * (noise * 2.4)
            }
        }
        return canvas.image()
    }

    /// Dashed lines between lanes (6 m of paint every 15 m), solid lines near both road edges.
    private func laneLine(_ X: Double, _ Z: Double, _ roadRight: Double) -> Bool {
        if abs(X - (roadLeft + 0.3)) < 0.08 || abs(X - (roadRight - 0.3)) < 0.08 { return true }
        for k in 1..<lanes where abs(X - (roadLeft + Double(k) * laneWidth)) < 0.075 {
            return (Z + dashPhase).truncatingRemainder(dividingBy: 15) < 6
        }
        return false
    }

    /// A car; `braking` lights its tail lamps bright red with a glow (a red distractor near the road).
    private func draw(_ car: Car, braking: Bool, on canvas: inout Canvas) {
        let r = car.box(camera), s = camera.f / car.Z, (bx, by) = camera.project(car.X, car.Z)
        canvas.paint(r.expanded(1), samples: 2) { x, y in
            let p = (x - bx) / s, q = (by - y) / s   // metres: across, up
            let ap = abs(p)
            var c: SIMD3<Float>
            if q < 0 || q > 1.45 || ap > 0.9 { return nil }
            if q < 0.3 {
                guard ap > 0.55, ap < 0.85 else { return q > 0.12 ? SIMD4(0.05, 0.05, 0.05, 0.6) : nil }
                c = SIMD3(0.04, 0.04, 0.04)
            } else if q < 0.95 {
                c = car.body
                if q > 0.68, q < 0.84, ap > 0.58, ap < 0.86 { c = braking ? SIMD3(1, 0.2, 0.12) : SIMD3(0.75, 0.06, 0.05) }
                if q > 0.42, q < 0.55, ap < 0.22 { c = SIMD3(0.85, 0.85, 0.8) }             // plate
            } else {
                guard ap < 0.9 - (q - 0.95) * 0.5 else { return nil }
                c = ap < 0.8 - (q - 0.95) * 0.5 && q > 1.0 && q < 1.38 ? SIMD3(0.12, 0.14, 0.17) : car.body
            }
            return SIMD4(c.x, c.y, c.z, 1)
        }
        if braking {
            for side in [-0.72, 0.72] { canvas.glow(x: bx + side * s, y: by - 0.76 * s, radius: 0.2 * s, SIMD3(0.9, 0.1, 0.05) * 0.3) }
        }
    }

    private func draw(_ sign: Sign, on canvas: inout Canvas) {
        canvas.paint(sign.box.expanded(1), samples: 3) { x, y in
            let u = (x - sign.x) / sign.radius, v = (y - sign.y) / sign.radius
            let c: SIMD3<Float>
            switch sign.kind {
            case .prohibition:
                let d = (u * u + v * v).squareRoot()
                guard d <= 1 else { return nil }
                c = d > 0.78 ? SIMD3(0.8, 0.08, 0.08) : (abs(u) < 0.45 && abs(v) < 0.12 ? SIMD3(0.1, 0.1, 0.1) : SIMD3(0.92, 0.92, 0.9))
            case .blueSquare:
                guard abs(u) <= 0.9, abs(v) <= 0.9 else { return nil }
                c = abs(u) < 0.12 || (v < -0.1 && v > -0.3 && abs(u) < 0.5) ? SIMD3(0.92, 0.92, 0.92) : SIMD3(0.1, 0.3, 0.7)
            case .warning:
                guard v <= 0.8, abs(u) <= (v + 1) * 0.55 else { return nil }
                c = abs(u) > (v + 1) * 0.55 - 0.18 || v > 0.62 ? SIMD3(0.1, 0.1, 0.1) : SIMD3(0.95, 0.78, 0.1)
            }
            return SIMD4(c.x, c.y, c.z, 1)
        }
    }

    /// Local light frame: (across, along the lamps) in metres.
    private func lightFrame(_ l: TrafficLight, _ x: Double, _ y: Double) -> (Double, Double) {
        let (s, c) = (sin(l.angle), cos(l.angle)), dx = x - l.x, dy = y - l.y
        let p = (dx * c + dy * s) / l.scale, q = (-dx * s + dy * c) / l.scale
        return l.horizontal ? (q, p) : (p, q)
    }

    private func lampColour(_ l: TrafficLight, _ k: Int) -> SIMD3<Float>? {
        switch (l.state, k) {
        case (.red, 0): SIMD3(1.0, 0.16, 0.1)
        case (.yellow, 1): SIMD3(1.0, 0.72, 0.12)
        case (.green, 2): SIMD3(0.15, 0.95, 0.6)
        default: nil
        }
    }

    private func draw(_ l: TrafficLight, on canvas: inout Canvas) {
        let (ha, hb) = (TrafficLight.size.0 / 2, TrafficLight.size.1 / 2)
        canvas.paint(l.box.expanded(1), samples: l.box.width < 20 ? 4 : 3) { x, y in
            let (a, b) = lightFrame(l, x, y)
            if l.backplate, abs(a) <= ha + 0.12, abs(b) <= hb + 0.12, abs(a) > ha || abs(b) > hb {
                let edge = abs(a) > ha + 0.08 || abs(b) > hb + 0.08
                return edge ? SIMD4(0.9, 0.9, 0.88, 1) : SIMD4(0.04, 0.04, 0.04, 1)
            }
            let ca = max(0, abs(a) - (ha - 0.08)), cb = max(0, abs(b) - (hb - 0.08))
            guard ca * ca + cb * cb <= 0.0064 else { return nil }
            for (k, t) in TrafficLight.lamps.enumerated() {
                let d2 = a * a + (b - t) * (b - t)
                guard d2 <= 0.0225 else { continue }
                guard let lit = lampColour(l, k) else { return SIMD4(0.17, 0.14, 0.13, 1) }
                let core = Float(max(0, 1 - d2 / 0.01)) * 0.5
                let c = lit + (SIMD3(1, 1, 0.9) - lit) * core
                return SIMD4(c.x, c.y, c.z, 1)
            }
            return SIMD4(l.housing.x, l.housing.y, l.housing.z, 1)
        }
    }

    private func glow(_ l: TrafficLight, on canvas: inout Canvas) {
        for (k, t) in TrafficLight.lamps.enumerated() {
            guard let colour = lampColour(l, k) else { continue }
            let (s, c) = (sin(l.angle), cos(l.angle))
            let (p, q) = l.horizontal ? (t, 0.0) : (0.0, t)
            canvas.glow(x: l.x + (p * c - q * s) * l.scale, y: l.y + (p * s + q * c) * l.scale, radius: 0.32 * l.scale, colour * 0.3)
        }
    }
}

extension Canvas {
    /// Adds a Gaussian halo of `colour` (peak) around (x, y).
    mutating func glow(x gx: Double, y gy: Double, radius rg: Double, _ colour: SIMD3<Float>) {
        let reach = 3 * rg
        guard gx + reach >= 0, gy + reach >= 0, gx - reach < Double(width - 1), gy - reach < Double(height - 1) else { return }
        for y in max(0, Int(gy - reach))...min(height - 1, Int(gy + reach)) {
            for x in max(0, Int(gx - reach))...min(width - 1, Int(gx + reach)) {
                let dx = Double(x) + 0.5 - gx, dy = Double(y) + 0.5 - gy
                self[x, y] += colour * Float(exp(-(dx * dx + dy * dy) / (2 * rg * rg)))
            }
        }
    }
}
