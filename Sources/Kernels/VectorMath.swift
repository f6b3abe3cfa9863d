/// Vectorised transcendental functions over SIMD8<Float> (Cephes-style range reduction and a
/// degree-6 polynomial; relative error below 1e-7 over the float range), for the hot
/// element-wise loops (exp, sigmoid, tanh, softmax). Integer conversions go through bit
/// patterns (the "magic number" rounding), which keeps the loops vectorised.

/// e^x for each lane; clamps to e^−87.3 … e^88.7 (callers that need exact 0/inf at the ends
/// and NaN propagation use `simdExpExact`).
@inlinable @inline(__always)
public func simdExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let v0 = pointwiseMax(pointwiseMin(x, SIMD8(repeating: 88.7228)), SIMD8(repeating: -87.3365))
    let magic = SIMD8<Float>(repeating: 12_582_912)          // 1.5·2²³: adding it rounds to an integer
    let t = v0 * 1.44269504088896341 + magic
    let fx = t - magic                                         // n = round(x / ln 2)
    var v = v0 - fx * 0.693359375
    v = v + fx * 2.12194440e-4                                 // r = x − n·ln 2 in two parts
    let z = v * v
    var y = SIMD8<Float>(repeating: 1.9875691500e-4)
    y = y * v + 1.3981999507e-3
    y = y * v + 8.3334519073e-3
    y = y * v + 4.1665795894e-2
    y = y * v + 1.6666665459e-1
    y = y * v + 5.0000001201e-1
    y = y * z + v + 1
    let n = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- unsafeBitCast(magic, to: SIMD8<UInt32>.self)
    let scale = unsafeBitCast((n &+ 127) &<< 23, to: SIMD8<Float>.self)   // 2ⁿ
    return y * scale
}

/// Applies `f` to `count` floats, eight at a time, with the tail through the same lane function.
@inlinable @inline(__always)
public func simdMap(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int,
                    _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
        i += 8
    }
    if i < count {
        var v = SIMD8<Float>(repeating: 0)
        for j in 0..<(count - i) { v[j] = src[i + j] }
        let r = f(v)
        for j in 0..<(count - i) { dst[i + j] = r[j] }
    }
}

/// Scalar e^x through the vector path (same rounding as the vector loops).
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float { simdExp(SIMD8<Float>(repeating: x))[0] }
