import Foundation
import Kernels

// Broadcasting arithmetic. Each op's pullback sits under its forward; gradients may keep the
// broadcast shape, `backward()` reduces them.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, out: broadcastShapes(a.shape, b.shape, op: "add"), .add)
        // d(a+b) = da + db
        return differentiable("add", inputs: [a, b], output: out) { g in [g, g] }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, out: broadcastShapes(a.shape, b.shape, op: "sub"), .sub)
        // d(a−b) = da − db
        return differentiable("sub", inputs: [a, b], output: out) { g in [g, b.requiresGrad ? -g : nil] }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, out: broadcastShapes(a.shape, b.shape, op: "mul"), .mul)
        // d(ab) = b·da + a·db
        return differentiable("mul", inputs: [a, b], output: out) { g in
            [a.requiresGrad ? g * b : nil, b.requiresGrad ? g * a : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, out: broadcastShapes(a.shape, b.shape, op: "div"), .div)
        // d(a/b) = da/b − a·db/b²
        return differentiable("div", inputs: [a, b], output: out) { g in
            [a.requiresGrad ? g / b : nil, b.requiresGrad ? -(g * out / b) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        let out = mapApply(a) { -$0 }
        return differentiable("neg", inputs: [a], output: out) { g in [-g] }
    }

    // Scalars on either side.
    public static func + (a: Tensor, s: Float) -> Tensor {
        differentiable("add_scalar", inputs: [a], output: broadcastBinary(a, Tensor(scalar: s), out: a.shape, .add)) { g in [g] }
    }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func - (s: Float, a: Tensor) -> Tensor {
        differentiable("rsub_scalar", inputs: [a], output: mapApply(a) { s - $0 }) { g in [-g] }
    }
    public static func * (a: Tensor, s: Float) -> Tensor {
        differentiable("mul_scalar", inputs: [a], output: broadcastBinary(a, Tensor(scalar: s), out: a.shape, .mul)) { g in [g * s] }
    }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor {
        differentiable("div_scalar", inputs: [a], output: broadcastBinary(a, Tensor(scalar: s), out: a.shape, .div)) { g in [g / s] }
    }
    public static func / (s: Float, a: Tensor) -> Tensor {
        let out = mapApply(a) { s / $0 }
        // d(s/a) = −s/a² da = −out/a da
        return differentiable("rdiv_scalar", inputs: [a], output: out) { g in [-(g * out / a)] }
    }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }

    /// `self ** exponent` for a scalar exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let e = exponent
        let out: Tensor
        if e == 2 { out = mapApply(self) { $0 * $0 } }
        else if e == 0.5 { out = mapApply(self) { $0.squareRoot() } }
        else { out = mapApply(self) { Foundation.pow($0, e) } }
        // d xᵉ = e·xᵉ⁻¹ dx
        return Tensor.differentiable("pow", inputs: [self], output: out) { g in
            if e == 2 { return [g * self * 2] }
            return [g * mapApply(self) { e * Foundation.pow($0, e - 1) }]
        }
    }

    /// `self ** exponent`, element-wise with broadcasting.
    public func pow(_ exponent: Tensor) -> Tensor {
        let out = broadcastApply(self, exponent, out: broadcastShapes(shape, exponent.shape, op: "pow"), Foundation.pow)
        // d aᵇ = b·aᵇ⁻¹ da + aᵇ·ln a db
        return Tensor.differentiable("pow", inputs: [self, exponent], output: out) { g in
            [self.requiresGrad ? g * exponent * self.pow(exponent - 1) : nil,
             exponent.requiresGrad ? g * out * self.log() : nil]
        }
    }

    public func exp() -> Tensor {
        let out = vectorApply(self, .exp)
        // d eˣ = eˣ dx
        return Tensor.differentiable("exp", inputs: [self], output: out) { g in [g * out] }
    }

    public func log() -> Tensor {
        // d ln x = dx / x
        Tensor.differentiable("log", inputs: [self], output: mapApply(self) { Foundation.log($0) }) { g in [g / self] }
    }

    public func sqrt() -> Tensor {
        let out = mapApply(self) { $0.squareRoot() }
        // d √x = dx / (2√x)
        return Tensor.differentiable("sqrt", inputs: [self], output: out) { g in [g / (out * 2)] }
    }

    public func rsqrt() -> Tensor {
        let out = mapApply(self) { 1 / $0.squareRoot() }
        // d x^(−1/2) = −½ x^(−3/2) dx = −½ out³ dx
        return Tensor.differentiable("rsqrt", inputs: [self], output: out) { g in [g * out * out * out * -0.5] }
    }

    public func abs() -> Tensor {
        // d|x| = sign(x) dx, with sign(0) = 0 as PyTorch
        Tensor.differentiable("abs", inputs: [self], output: mapApply(self) { Swift.abs($0) }) { g in [g * self.sign()] }
    }

    public func square() -> Tensor { pow(2) }

    public func reciprocal() -> Tensor { 1 / self }

    public func sin() -> Tensor {
        Tensor.differentiable("sin", inputs: [self], output: mapApply(self) { Foundation.sin($0) }) { g in [g * self.cos()] }
    }

    public func cos() -> Tensor {
        Tensor.differentiable("cos", inputs: [self], output: mapApply(self) { Foundation.cos($0) }) { g in [-(g * self.sin())] }
    }

    public func atan() -> Tensor {
        // d atan x = dx / (1 + x²)
        Tensor.differentiable("atan", inputs: [self], output: mapApply(self) { Foundation.atan($0) }) { g in
            [g / (self * self + 1)]
        }
    }

    /// −1, 0 or 1 (not differentiable: gradient 0).
    public func sign() -> Tensor { mapApply(self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
    /// Rounded down (gradient 0, as PyTorch).
    public func floor() -> Tensor { mapApply(self) { $0.rounded(.down) } }
    /// Rounded half to even (gradient 0, as PyTorch).
    public func round() -> Tensor { mapApply(self) { $0.rounded(.toNearestOrEven) } }

    /// Limits every element to `[min, max]`; the gradient passes strictly inside (`min < x < max`),
    /// as PyTorch's clamp backward.
    public func clamp(min lo: Float? = nil, max hi: Float? = nil) -> Tensor {
        let l = lo ?? -.infinity, h = hi ?? .infinity
        let out = mapApply(self) { x in x.isNaN ? x : Swift.min(Swift.max(x, l), h) }
        return Tensor.differentiable("clamp", inputs: [self], output: out) { g in
            [g * mapApply(self) { ($0 > l && $0 < h) ? 1 : 0 }]
        }
    }

    /// Element-wise maximum; ties split the gradient in halves, as PyTorch.
    public func maximum(_ other: Tensor) -> Tensor {
        let out = broadcastApply(self, other, out: broadcastShapes(shape, other.shape, op: "maximum")) { a, b in
            a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        }
        return Tensor.differentiable("maximum", inputs: [self, other], output: out) { g in
            [self.requiresGrad ? g * Tensor.selectWeight(self, other, greater: true) : nil,
             other.requiresGrad ? g * Tensor.selectWeight(other, self, greater: true) : nil]
        }
    }

    /// Element-wise minimum; ties split the gradient in halves, as PyTorch.
    public func minimum(_ other: Tensor) -> Tensor {
        let out = broadcastApply(self, other, out: broadcastShapes(shape, other.shape, op: "minimum")) { a, b in
            a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        }
        return Tensor.differentiable("minimum", inputs: [self, other], output: out) { g in
            [self.requiresGrad ? g * Tensor.selectWeight(self, other, greater: false) : nil,
             other.requiresGrad ? g * Tensor.selectWeight(other, self, greater: false) : nil]
        }
    }

    /// 1 where `a` wins, ½ on ties, 0 where it loses (broadcast shape).
    static func selectWeight(_ a: Tensor, _ b: Tensor, greater: Bool) -> Tensor {
        broadcastApply(a, b, out: broadcastShapes(a.shape, b.shape, op: "select")) { x, y in
            x == y ? 0.5 : ((greater ? x > y : x < y) ? 1 : 0)
        }
    }

    public func maximum(_ s: Float) -> Tensor { clampScalar(lo: s, hi: nil) }
    public func minimum(_ s: Float) -> Tensor { clampScalar(lo: nil, hi: s) }
    private func clampScalar(lo: Float?, hi: Float?) -> Tensor { clamp(min: lo, max: hi) }

    // Comparisons give 0/1 masks and are not differentiable.
    public func gt(_ o: Tensor) -> Tensor { broadcastApply(self, o, out: broadcastShapes(shape, o.shape, op: "gt")) { $0 > $1 ? 1 : 0 } }
    public func lt(_ o: Tensor) -> Tensor { broadcastApply(self, o, out: broadcastShapes(shape, o.shape, op: "lt")) { $0 < $1 ? 1 : 0 } }
    public func ge(_ o: Tensor) -> Tensor { broadcastApply(self, o, out: broadcastShapes(shape, o.shape, op: "ge")) { $0 >= $1 ? 1 : 0 } }
    public func le(_ o: Tensor) -> Tensor { broadcastApply(self, o, out: broadcastShapes(shape, o.shape, op: "le")) { $0 <= $1 ? 1 : 0 } }
    public func eq(_ o: Tensor) -> Tensor { broadcastApply(self, o, out: broadcastShapes(shape, o.shape, op: "eq")) { $0 == $1 ? 1 : 0 } }
    public func gt(_ s: Float) -> Tensor { mapApply(self) { $0 > s ? 1 : 0 } }
    public func lt(_ s: Float) -> Tensor { mapApply(self) { $0 < s ? 1 : 0 } }
    public func ge(_ s: Float) -> Tensor { mapApply(self) { $0 >= s ? 1 : 0 } }
    public func le(_ s: Float) -> Tensor { mapApply(self) { $0 <= s ? 1 : 0 } }
}
