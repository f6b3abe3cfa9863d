import Testing
@testable import Kernels

/// The 3×3 stride-2 padding-1 max pool fast path (ResNet's stem) against the definition, with
/// ties (PyTorch keeps the first maximum in row-major window order) and NaNs (a NaN wins); the
/// values-only path (no indices, used when no gradient is wanted) against the same definition.
@Suite struct MaxPoolFastPathTests {
    /// Rows of 64 to 67 columns take the horizontal step's full 16-output vectors and a masked tail.
    @Test("3×3/2 pad 1: values and indices",
          arguments: [(3, 7, 9), (2, 8, 8), (1, 1, 1), (2, 2, 5), (4, 13, 6), (2, 9, 67), (1, 5, 64), (3, 4, 33)])
    func fastPath(_ shape: (Int, Int, Int)) {
        let (planes, h, w) = shape
        let g = Pool2dGeometry(planes: planes, height: h, width: w, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1)
        var rng = SplitMix(seed: 3)
        // Values on a coarse grid so windows have ties; a NaN in some planes.
        var x = (0..<(planes * h * w)).map { _ in (rng.nextFloat() * 3).rounded() }
        if x.count > 5 { x[5] = .nan }
        // −∞ entries, and a plane of −∞ only (every window a tie of −∞ with the border sentinels).
        for i in stride(from: 11, to: x.count, by: 17) { x[i] = -.infinity }
        if planes > 1 { for i in h * w..<(2 * h * w) { x[i] = -.infinity } }
        var y = [Float](repeating: 0, count: planes * g.outH * g.outW), ix = [Int32](repeating: -7, count: y.count)
        x.withUnsafeBufferPointer { maxPool2dForward(g, input: $0.baseAddress!, output: &y, indices: &ix) }
        // Without indices (no gradient wanted): the values-only path, same values.
        var yv = [Float](repeating: 7, count: y.count)
        x.withUnsafeBufferPointer { maxPool2dForward(g, input: $0.baseAddress!, output: &yv, indices: nil) }
        for pl in 0..<planes { for oy in 0..<g.outH { for ox in 0..<g.outW {
            var best = -Float.infinity, bi = -1
            for i in 0..<3 { for j in 0..<3 {
                let iy = 2 * oy - 1 + i, jx = 2 * ox - 1 + j
                guard iy >= 0, iy < h, jx >= 0, jx < w else { continue }
                let v = x[pl * h * w + iy * w + jx]
                if v > best || v.isNaN || bi < 0 { best = v; bi = iy * w + jx }
            } }
            let k = pl * g.outH * g.outW + oy * g.outW + ox
            #expect(y[k] == best || (y[k].isNaN && best.isNaN), "value at \(pl),\(oy),\(ox)")
            #expect(yv[k] == best || (yv[k].isNaN && best.isNaN), "values-only path at \(pl),\(oy),\(ox): \(yv[k]) vs \(best)")
            #expect(ix[k] == Int32(bi), "index at \(pl),\(oy),\(ox): \(ix[k]) vs \(bi)")
        } } }
    }
}
