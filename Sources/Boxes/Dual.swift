import Foundation

/// A forward-mode dual number: a value and its derivatives with respect to the eight box
/// coordinates (pred x1 y1 x2 y2, target x1 y1 x2 y2). The box losses are written once on
/// `Dual` and get exact per-box gradients; derivative rules follow PyTorch's (ties of
/// `max`/`min` split the gradient in half; `clamp(min:)` passes it at the boundary).
struct Dual {
    var v: Float
    var g: SIMD8<Float>

    init(_ v: Float, _ g: SIMD8<Float> = .zero) { self.v = v; self.g = g }
    /// The `k`-th input variable.
    init(variable v: Float, index k: Int) { self.v = v; g = .zero; g[k] = 1 }

    /// The value without derivatives (`torch.no_grad` / `.detach()`).
    var detached: Dual { Dual(v) }

    static func + (a: Dual, b: Dual) -> Dual { Dual(a.v + b.v, a.g + b.g) }
    static func - (a: Dual, b: Dual) -> Dual { Dual(a.v - b.v, a.g - b.g) }
    static prefix func - (a: Dual) -> Dual { Dual(-a.v, -a.g) }
    static func * (a: Dual, b: Dual) -> Dual { Dual(a.v * b.v, a.g * b.v + b.g * a.v) }
    static func / (a: Dual, b: Dual) -> Dual { Dual(a.v / b.v, (a.g - (a.v / b.v) * b.g) / b.v) }
    static func + (a: Dual, b: Float) -> Dual { Dual(a.v + b, a.g) }
    static func - (a: Dual, b: Float) -> Dual { Dual(a.v - b, a.g) }
    static func - (a: Float, b: Dual) -> Dual { Dual(a - b.v, -b.g) }
    static func * (a: Float, b: Dual) -> Dual { Dual(a * b.v, a * b.g) }
    static func / (a: Dual, b: Float) -> Dual { Dual(a.v / b, a.g / b) }

    var squared: Dual { self * self }

    /// `torch.maximum`: the larger operand's gradient; equal operands share it half and half.
    static func maximum(_ a: Dual, _ b: Dual) -> Dual {
        a.v > b.v ? a : (a.v < b.v ? b : Dual(a.v, (a.g + b.g) / 2))
    }
    /// `torch.minimum`, ties split like ``maximum(_:_:)``.
    static func minimum(_ a: Dual, _ b: Dual) -> Dual {
        a.v < b.v ? a : (a.v > b.v ? b : Dual(a.v, (a.g + b.g) / 2))
    }
    /// `clamp(min: lo)`: gradient passes where `x ≥ lo`.
    func clamped(min lo: Float) -> Dual { v >= lo ? self : Dual(lo) }
    /// `clamp(min: lo, max: hi)`: gradient passes where `lo ≤ x ≤ hi`.
    func clamped(min lo: Float, max hi: Float) -> Dual { v < lo ? Dual(lo) : (v > hi ? Dual(hi) : self) }

    /// `atan(w / h)` for `w, h ≥ 0`, evaluated as `atan2(w, h)`: equal for `h > 0`, π/2 for an
    /// empty height and 0 (not NaN) for an empty box; the derivative
    /// `(h·dw − w·dh) / (w² + h²)` is taken as 0 where `w = h = 0`.
    static func aspectAngle(_ w: Dual, _ h: Dual) -> Dual {
        let r2 = w.v * w.v + h.v * h.v
        let value = Float(Foundation.atan2(Double(w.v), Double(h.v)))
        guard r2 > 0 else { return Dual(value) }
        return Dual(value, (h.v * w.g - w.v * h.g) / r2)
    }

    /// Natural logarithm.
    func log() -> Dual { Dual(Foundation.log(v), g / v) }
}
