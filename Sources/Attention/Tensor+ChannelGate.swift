import Foundation
import Kernels
import TensorCore

/// A raw pointer that may cross into a parallel region (each worker touches disjoint rows).
struct UncheckedPointer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
}

enum RowKernels {
    /// Runs `body` over `rows` rows of `rowLength` elements, split in two when there is enough work.
    static func forRows(_ rows: Int, rowLength: Int, _ body: @Sendable (Range<Int>) -> Void) {
        // At least 2¹⁶ elements per chunk (smaller regions are not worth a second core).
        Threading.parallelFor(rows, minChunk: Swift.max(1, (1 << 16) / Swift.max(rowLength, 1))) { body($0) }
    }

    /// Σ a[k] with eight-lane partial sums.
    static func sum(_ a: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var k = 0
        while k + 8 <= count { acc += UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self); k += 8 }
        var s = acc.sum()
        while k < count { s += a[k]; k += 1 }
        return s
    }

    /// Σ (a[k] − mean)² with eight-lane partial sums.
    static func squaredDeviation(_ a: UnsafePointer<Float>, mean: Float, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        let m = SIMD8<Float>(repeating: mean)
        var k = 0
        while k + 8 <= count { let d = UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self) - m; acc += d * d; k += 8 }
        var s = acc.sum()
        while k < count { let d = a[k] - mean; s += d * d; k += 1 }
        return s
    }

    /// Σ a[k]·b[k] with eight-lane partial sums.
    static func dot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var k = 0
        while k + 8 <= count {
            acc += UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self)
            k += 8
        }
        var s = acc.sum()
        while k < count { s += a[k] * b[k]; k += 1 }
        return s
    }
}

extension Tensor {
    /// `self * gate` for a per-(n, c) gate of shape (N, C, 1, 1), fused: one pass forward, and the
    /// backward gives the input g·gate and the gate Σ_hw g·x without a full-size temporary.
    public func channelGated(_ gate: Tensor) -> Tensor {
        let n = shape[0], c = shape[1], rows = n * c, hw = count / Swift.max(rows, 1)
        checkShape(rank >= 2 && gate.count == rows, "channelGated: gate \(gate.shape) does not fit input \(shape)")
        let out = Tensor(uninitializedShape: shape)
        let xp = UncheckedPointer(data), sp = UncheckedPointer(gate.data), op = UncheckedPointer(out.data)
        RowKernels.forRows(rows, rowLength: hw) { range in
            for i in range {
                let s = sp.p[i], xr = xp.p + i * hw, orow = op.p + i * hw
                for k in 0..<hw { orow[k] = xr[k] * s }
            }
        }
        let x = self, gateShape = gate.shape
        return Tensor.differentiable("channelGated", inputs: [self, gate], output: out) { g in
            var gs: Tensor?
            if gate.requiresGrad {
                let r = Tensor(uninitializedShape: gateShape)
                let gp = UncheckedPointer(g.data), xq = UncheckedPointer(x.data), rp = UncheckedPointer(r.data)
                RowKernels.forRows(rows, rowLength: hw) { range in
                    for i in range { rp.p[i] = RowKernels.dot(gp.p + i * hw, xq.p + i * hw, hw) }
                }
                gs = r
            }
            return [x.requiresGrad ? g.channelGated(gate.detach()) : nil, gs]
        }
    }
}

/// What `rowReduced` sums over each (n, c) row.
enum RowReduction { case sumOfSquares, absSum, sum }

extension Tensor {
    /// Σ_hw x², Σ_hw |x| or Σ_hw x per (n, c) of (N, C, H, W), as (N, C, 1, 1), in one pass without
    /// a full-size temporary; the backward is 2x·g, sign(x)·g (0 at 0, as PyTorch) or g.
    func rowReduced(_ kind: RowReduction) -> Tensor {
        let n = shape[0], c = shape[1], rows = n * c, hw = count / Swift.max(rows, 1)
        let out = Tensor(uninitializedShape: [n, c, 1, 1])
        let xp = UncheckedPointer(data), op = UncheckedPointer(out.data)
        RowKernels.forRows(rows, rowLength: hw) { range in
            for i in range {
                let xr = xp.p + i * hw
                switch kind {
                case .sumOfSquares: op.p[i] = RowKernels.dot(xr, xr, hw)
                case .absSum: var s: Float = 0; for k in 0..<hw { s += Swift.abs(xr[k]) }; op.p[i] = s
                case .sum: var s: Float = 0; for k in 0..<hw { s += xr[k] }; op.p[i] = s
                }
            }
        }
        let x = self.detach()
        return Tensor.differentiable("rowReduced", inputs: [self], output: out) { g in
            switch kind {
            case .sumOfSquares: return [x.channelGated(g * 2)]
            case .absSum: return [x.sign().channelGated(g)]
            case .sum: return [g.expanded(x.shape)]
            }
        }
    }
}
