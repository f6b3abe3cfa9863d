import Kernels

/// Spatial transformer sampling: `affineGrid` and `gridSample` (bilinear, zeros padding), as
/// `torch.nn.functional.affine_grid` / `grid_sample`.
extension Tensor {
    /// Sampling grid (N, H, W, 2) of (x, y) in [−1, 1] for affine matrices `theta` (N, 2, 3)
    /// and an output of size (N, C, H, W).
    public static func affineGrid(theta: Tensor, size: [Int], alignCorners: Bool) -> Tensor {
        checkShape(theta.rank == 3 && theta.shape[1] == 2 && theta.shape[2] == 3, "affine_grid: theta \(theta.shape) is not (N, 2, 3)")
        checkShape(size.count == 4 && size[0] == theta.shape[0], "affine_grid: size \(size) is not (N, C, H, W) matching theta \(theta.shape)")
        let h = size[2], w = size[3]
        func coords(_ n: Int) -> [Float] {
            (0..<n).map { i in
                if n == 1 { return 0 }
                return alignCorners ? -1 + 2 * Float(i) / Float(n - 1) : (2 * Float(i) + 1) / Float(n) - 1
            }
        }
        let xs = coords(w), ys = coords(h)
        var base = [Float](repeating: 1, count: h * w * 3)
        for i in 0..<h { for j in 0..<w { base[(i * w + j) * 3] = xs[j]; base[(i * w + j) * 3 + 1] = ys[i] } }
        // grid[n] = base · θ[n]ᵀ
        let grid = Tensor(base, shape: [1, h * w, 3]).matmul(theta.transposed(1, 2))
        return grid.reshaped([size[0], h, w, 2])
    }

    /// Bilinear sampling of (N, C, H, W) at `grid` (N, Ho, Wo, 2) with zeros padding.
    public func gridSample(_ grid: Tensor, alignCorners: Bool) -> Tensor {
        checkShape(rank == 4, "grid_sample: input \(shape) is not (N, C, H, W)")
        checkShape(grid.rank == 4 && grid.shape[3] == 2 && grid.shape[0] == shape[0],
                   "grid_sample: grid \(grid.shape) is not (N, Ho, Wo, 2) for input \(shape)")
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3], ho = grid.shape[1], wo = grid.shape[2]
        let sx: Float = alignCorners ? Float(w - 1) / 2 : Float(w) / 2
        let sy: Float = alignCorners ? Float(h - 1) / 2 : Float(h) / 2
        @inline(__always) func unnorm(_ v: Float, _ size: Int, _ s: Float) -> Float {
            alignCorners ? (v + 1) * s : ((v + 1) * Float(size) - 1) / 2
        }
        let out = Tensor(uninitializedShape: [n, c, ho, wo])
        let x = data, gp = grid.data, o = out.data
        let p = ho * wo
        Threading.parallelFor(n * c) { range in
            for nc in range {
                let b = nc / c
                let plane = x + nc * h * w, dst = o + nc * p, g = gp + b * p * 2
                for q in 0..<p {
                    let ix = unnorm(g[2 * q], w, sx), iy = unnorm(g[2 * q + 1], h, sy)
                    dst[q] = bilinearSample(plane, h, w, iy, ix)
                }
            }
        }
        let input = self
        return Tensor.differentiable("grid_sample", inputs: [self, grid], output: out) { gout in
            let go = gout.data
            var gin: Tensor? = nil
            if input.requiresGrad {
                let gi = Tensor.zeros(input.shape)
                let gip = gi.data
                // d input: each output scatters g·weight to its four corners (per plane: parallel-safe)
                Threading.parallelFor(n * c) { range in
                    for nc in range {
                        let b = nc / c
                        let plane = gip + nc * h * w, g = gp + b * p * 2, src = go + nc * p
                        for q in 0..<p {
                            let ix = unnorm(g[2 * q], w, sx), iy = unnorm(g[2 * q + 1], h, sy)
                            bilinearScatter(plane, h, w, iy, ix, src[q])
                        }
                    }
                }
                gin = gi
            }
            var ggrid: Tensor? = nil
            if grid.requiresGrad {
                let gg = Tensor.zeros(grid.shape)
                let ggp = gg.data
                // d grid: Σ_c g · ∂bilinear/∂(ix, iy) · ∂(ix, iy)/∂(x, y)
                Threading.parallelFor(n * p) { range in
                    for bq in range {
                        let b = bq / p, q = bq % p
                        let g = gp + b * p * 2
                        let ix = unnorm(g[2 * q], w, sx), iy = unnorm(g[2 * q + 1], h, sy)
                        var dx: Float = 0, dy: Float = 0
                        for ch in 0..<c {
                            let plane = x + (b * c + ch) * h * w
                            let (gy, gxv) = bilinearGradient(plane, h, w, iy, ix)
                            let gv = go[(b * c + ch) * p + q]
                            dx += gv * gxv; dy += gv * gy
                        }
                        ggp[bq * 2] = dx * sx
                        ggp[bq * 2 + 1] = dy * sy
                    }
                }
                ggrid = gg
            }
            return [gin, ggrid]
        }
    }
}

/// Bilinear value of a plane at (y, x); corners outside the plane count as zero.
@inline(__always)
func bilinearSample(_ plane: UnsafePointer<Float>, _ h: Int, _ w: Int, _ y: Float, _ x: Float) -> Float {
    let y0f = y.rounded(.down), x0f = x.rounded(.down)
    guard y0f.isFinite, x0f.isFinite, y0f > -2, x0f > -2, y0f < Float(h), x0f < Float(w) else { return 0 }
    let y0 = Int(y0f), x0 = Int(x0f)
    let ly = y - y0f, lx = x - x0f, hy = 1 - ly, hx = 1 - lx
    var v: Float = 0
    if y0 >= 0 {
        if x0 >= 0 { v += hy * hx * plane[y0 * w + x0] }
        if x0 + 1 < w { v += hy * lx * plane[y0 * w + x0 + 1] }
    }
    if y0 + 1 < h {
        if x0 >= 0 { v += ly * hx * plane[(y0 + 1) * w + x0] }
        if x0 + 1 < w { v += ly * lx * plane[(y0 + 1) * w + x0 + 1] }
    }
    return v
}

/// Adds `g` times the bilinear weights at (y, x) into a plane (the adjoint of `bilinearSample`).
@inline(__always)
func bilinearScatter(_ plane: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int, _ y: Float, _ x: Float, _ g: Float) {
    let y0f = y.rounded(.down), x0f = x.rounded(.down)
    guard y0f.isFinite, x0f.isFinite, y0f > -2, x0f > -2, y0f < Float(h), x0f < Float(w) else { return }
    let y0 = Int(y0f), x0 = Int(x0f)
    let ly = y - y0f, lx = x - x0f, hy = 1 - ly, hx = 1 - lx
    if y0 >= 0 {
        if x0 >= 0 { plane[y0 * w + x0] += hy * hx * g }
        if x0 + 1 < w { plane[y0 * w + x0 + 1] += hy * lx * g }
    }
    if y0 + 1 < h {
        if x0 >= 0 { plane[(y0 + 1) * w + x0] += ly * hx * g }
        if x0 + 1 < w { plane[(y0 + 1) * w + x0 + 1] += ly * lx * g }
    }
}

/// (∂/∂y, ∂/∂x) of `bilinearSample` at (y, x).
@inline(__always)
func bilinearGradient(_ plane: UnsafePointer<Float>, _ h: Int, _ w: Int, _ y: Float, _ x: Float) -> (Float, Float) {
    let y0f = y.rounded(.down), x0f = x.rounded(.down)
    guard y0f.isFinite, x0f.isFinite, y0f > -2, x0f > -2, y0f < Float(h), x0f < Float(w) else { return (0, 0) }
    let y0 = Int(y0f), x0 = Int(x0f)
    let ly = y - y0f, lx = x - x0f, hy = 1 - ly, hx = 1 - lx
    @inline(__always) func at(_ yy: Int, _ xx: Int) -> Float { (yy >= 0 && yy < h && xx >= 0 && xx < w) ? plane[yy * w + xx] : 0 }
    let v00 = at(y0, x0), v01 = at(y0, x0 + 1), v10 = at(y0 + 1, x0), v11 = at(y0 + 1, x0 + 1)
    return (hx * (v10 - v00) + lx * (v11 - v01), hy * (v01 - v00) + ly * (v11 - v10))
}
