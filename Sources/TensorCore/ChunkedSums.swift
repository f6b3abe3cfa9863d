/// Sums for the normalisation statistics: Float SIMD partial sums over blocks of 1024 elements,
/// each block added into a Double (vectorised, and as accurate as the per-element Double loop to
/// ~1e-7 relative: a block's rounding is bounded by its 1024 terms).
@inline(__always)
func blockedSums(count: Int, _ body: (Int, Int) -> (SIMD8<Float>, SIMD8<Float>, Float, Float)) -> (Double, Double) {
    var a = 0.0, b = 0.0
    var start = 0
    while start < count {
        let end = Swift.min(start + 1024, count)
        let (va, vb, ta, tb) = body(start, end)
        a += Double(va.sum()) + Double(ta)
        b += Double(vb.sum()) + Double(tb)
        start = end
    }
    return (a, b)
}

/// Σ x over `count` floats.
func blockedSum(_ p: UnsafePointer<Float>, count: Int) -> Double {
    blockedSums(count: count) { lo, hi in
        var va = SIMD8<Float>(), ta: Float = 0
        var i = lo
        while i + 8 <= hi { va += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self); i += 8 }
        while i < hi { ta += p[i]; i += 1 }
        return (va, SIMD8<Float>(), ta, 0)
    }.0
}

/// (Σ x, Σ (x − shift)²) over `count` floats.
func sumAndSquaredDeviation(_ p: UnsafePointer<Float>, count: Int, shift: Float) -> (Double, Double) {
    let s = SIMD8<Float>(repeating: shift)
    return blockedSums(count: count) { lo, hi in
        var va = SIMD8<Float>(), vb = SIMD8<Float>(), ta: Float = 0, tb: Float = 0
        var i = lo
        while i + 8 <= hi {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            let d = v - s
            va += v; vb += d * d
            i += 8
        }
        while i < hi { let d = p[i] - shift; ta += p[i]; tb += d * d; i += 1 }
        return (va, vb, ta, tb)
    }
}

/// (Σ g, Σ g·(x − shift)) over `count` floats.
func sumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, shift: Float) -> (Double, Double) {
    let s = SIMD8<Float>(repeating: shift)
    return blockedSums(count: count) { lo, hi in
        var va = SIMD8<Float>(), vb = SIMD8<Float>(), ta: Float = 0, tb: Float = 0
        var i = lo
        while i + 8 <= hi {
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            va += gv; vb += gv * (xv - s)
            i += 8
        }
        while i < hi { ta += g[i]; tb += g[i] * (x[i] - shift); i += 1 }
        return (va, vb, ta, tb)
    }
}

/// (Σ g', Σ g'·(x − shift)) with g' = g where x·scale + t > 0, else 0: `sumAndCenteredDot` of
/// ReLU's masked gradient, the mask recomputed from x with the forward's Float arithmetic
/// (`affine` = the forward's (scale, t)), so it selects exactly where the forward's output was > 0.
func maskedSumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, shift: Float,
                             affine: (scale: Float, shift: Float)) -> (Double, Double) {
    let s = SIMD8<Float>(repeating: shift), zero = SIMD8<Float>()
    let a = SIMD8<Float>(repeating: affine.scale), t = SIMD8<Float>(repeating: affine.shift)
    return blockedSums(count: count) { lo, hi in
        var va = SIMD8<Float>(), vb = SIMD8<Float>(), ta: Float = 0, tb: Float = 0
        var i = lo
        while i + 8 <= hi {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let gv = zero.replacing(with: UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self), where: xv * a + t .> zero)
            va += gv; vb += gv * (xv - s)
            i += 8
        }
        while i < hi {
            let gv = g[i], gi: Float = x[i] * affine.scale + affine.shift > 0 ? gv : 0
            ta += gi; tb += gi * (x[i] - shift); i += 1
        }
        return (va, vb, ta, tb)
    }
}
