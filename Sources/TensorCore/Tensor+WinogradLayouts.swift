import Kernels

/// Two exact re-layouts that bring 3×3 convolutions the Winograd kernels would not take
/// (Kernels/Conv2d+Winograd.swift's bounds) onto them. Both are compositions of layout copies
/// (`LayoutCopy`, whose gather and scatter are each other's adjoints; strided slices) around an
/// ordinary `conv2d`, so their gradients are those copies' backward passes and the inner
/// convolution's own (Winograd input and weight gradients).
///
/// - **Dilated → sub-grids.** A 3×3 convolution with dilation d and padding d reads only inputs of
///   its output's row and column parity modulo d: with stride 1 it is d² undilated convolutions
///   (padding 1) of the input's d² sub-grids, run as one batch of N·d²; with stride d it is one,
///   of the sub-grid at (0, 0). SKNet's second branch (dilation 2) and
///   `replace_stride_with_dilation` backbones.
/// - **Small maps → canvases.** A batch of maps with too few 2×2 tiles each (ResNet layer4's 7×7,
///   layer3's 14×14 when gradients are recorded) is laid side by side in one canvas per worker, a
///   zero column between neighbours (the padding both of them see), convolved with padding 1, and
///   cut apart again. The canvas costs one wasted column per image (8/7 of the work on 7×7 maps)
///   and two copies of the activations, against 4 multiplications per output instead of 9. For
///   inference, also where a canvas reaches F(4×4, 3×3) and the lone maps only F(2×2).
/// A batch with fewer than two images per worker (the parity fixtures' batch of two) is left alone.
///
/// `AZOO_WINOGRAD_LAYOUTS=0` (`ConvolutionPaths.winogradLayouts`) turns both off.

/// Which re-layout a convolution takes (`Tensor.winogradLayout`).
enum WinogradLayout: Equatable {
    /// Dilated: its sub-grid convolutions, of geometry `sub`.
    case subGrids(sub: Conv2dGeometry)
    /// Small maps: canvases of `imagesPerCanvas` maps each.
    case canvas(imagesPerCanvas: Int)
}

extension Tensor {
    /// The re-layout of geometry `g` that reaches Winograd, if any.
    static func winogradLayout(_ g: Conv2dGeometry, inference: Bool) -> WinogradLayout? {
        guard ConvolutionPaths.winogradLayouts, g.kernelH == 3, g.kernelW == 3,
              !g.usesWinogradBatched(inference: inference) else { return nil }
        let d = g.dilationH
        if d >= 2, g.dilationW == d, g.padH == d, g.padW == d, g.strideH == g.strideW, g.strideH == 1 || g.strideH == d {
            var sub = g
            (sub.dilationH, sub.dilationW, sub.padH, sub.padW, sub.strideH, sub.strideW) = (1, 1, 1, 1, 1, 1)
            (sub.height, sub.width) = ((g.height + d - 1) / d, (g.width + d - 1) / d)
            if g.strideH == 1 { sub.batch = g.batch * d * d }
            return sub.usesWinograd(inference: inference) || sub.usesWinogradBatched(inference: inference)
                || canvasImages(sub, inference: inference) != nil
                ? .subGrids(sub: sub) : nil
        }
        return canvasImages(g, inference: inference).map { .canvas(imagesPerCanvas: $0) }
    }

    /// The re-laid-out convolution of geometry `g`, or nil when neither re-layout reaches Winograd.
    func conv2dOnWinogradLayout(weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry, inference: Bool) -> Tensor? {
        switch Self.winogradLayout(g, inference: inference) {
        case .subGrids(let sub)?: return withoutCountingMACs { subGridConv(weight: weight, bias: bias, g, sub) }
        case .canvas(let per)?: return withoutCountingMACs { canvasConv(weight: weight, bias: bias, g, imagesPerCanvas: per) }
        case nil: return nil
        }
    }

    /// Images per canvas when one canvas per worker, of at least two images each, takes Winograd
    /// where the maps alone do not, or (inference) F(4×4, 3×3) where the maps alone take F(2×2)
    /// (ResNet layer2's 28×28: 49 4×4 tiles per map, 203 per canvas of four). Fewer canvases than
    /// workers would leave the weight gradient, which splits over the canvases, off Winograd; a
    /// batch of two is left as it is.
    static func canvasImages(_ g: Conv2dGeometry, inference: Bool) -> Int? {
        let workers = Threading.workerCount
        guard g.dilationH == 1, g.dilationW == 1, g.strideH == 1, g.strideW == 1, g.padH == 1, g.padW == 1,
              g.batch % workers == 0, g.batch >= 2 * workers else { return nil }
        let per = g.batch / workers
        var canvas = g
        (canvas.batch, canvas.width) = (workers, per * (g.width + 1))
        if !g.usesWinograd(inference: inference) { return canvas.usesWinograd(inference: inference) ? per : nil }
        return inference && !g.takesWinograd43 && canvas.takesWinograd43 ? per : nil
    }

    /// The d² (stride 1) or one (stride d) sub-grid convolutions of a dilated one; `sub` is their geometry.
    private func subGridConv(weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry, _ sub: Conv2dGeometry) -> Tensor {
        let d = g.dilationH
        if g.strideH == d {
            return slice(axis: 2, step: d).slice(axis: 3, step: d)
                .conv2d(weight: weight, bias: bias, padding: (1, 1), groups: g.groups)
        }
        let y = subGrids(d, height: sub.height, width: sub.width).conv2d(weight: weight, bias: bias, padding: (1, 1), groups: g.groups)
        return y.fromSubGrids(d, height: g.height, width: g.width)
    }

    /// One canvas per worker of `imagesPerCanvas` maps, each followed by a zero column.
    private func canvasConv(weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry, imagesPerCanvas per: Int) -> Tensor {
        canvas(per).conv2d(weight: weight, bias: bias, padding: (1, 1), groups: g.groups).fromCanvas(per, width: g.width)
    }

    /// (N, C, H, W) → (N·d², C, hs, ws): item n·d² + py·d + px is the sub-grid x[n, :, py::d, px::d],
    /// zero beyond the map. The adjoint of `fromSubGrids`.
    func subGrids(_ d: Int, height hs: Int, width ws: Int) -> Tensor {
        let (h, w) = (shape[2], shape[3])
        let out = LayoutCopy.subGrids(self, d, hs, ws)
        return Tensor.differentiable("subgrids", inputs: [self], output: out) { g in [LayoutCopy.fromSubGrids(g, d, h, w)] }
    }

    /// (N·d², C, hs, ws) → (N, C, h, w): the inverse of `subGrids`, cut to h × w. The adjoint of `subGrids`.
    func fromSubGrids(_ d: Int, height h: Int, width w: Int) -> Tensor {
        let (hs, ws) = (shape[2], shape[3])
        let out = LayoutCopy.fromSubGrids(self, d, h, w)
        return Tensor.differentiable("from_subgrids", inputs: [self], output: out) { g in [LayoutCopy.subGrids(g, d, hs, ws)] }
    }

    /// (N, C, H, W) → (N/per, C, H, per·(W + 1)): image k·per + j at columns j·(W + 1) ..< j·(W + 1) + W of
    /// canvas k, a zero column after each. The adjoint of `fromCanvas`.
    func canvas(_ per: Int) -> Tensor {
        let w = shape[3]
        let out = LayoutCopy.canvas(self, per)
        return Tensor.differentiable("canvas", inputs: [self], output: out) { g in [LayoutCopy.fromCanvas(g, per, w)] }
    }

    /// The images of canvases of `per` maps `w` wide. The adjoint of `canvas`.
    func fromCanvas(_ per: Int, width w: Int) -> Tensor {
        let out = LayoutCopy.fromCanvas(self, per, w)
        return Tensor.differentiable("from_canvas", inputs: [self], output: out) { g in [LayoutCopy.canvas(g, per)] }
    }

    /// `body` without adding to the MAC counter (the caller counted the convolution as asked for,
    /// not its re-laid-out form with padding and gap columns).
    private func withoutCountingMACs(_ body: () -> Tensor) -> Tensor {
        MACCounter.$current.withValue(nil) { body() }
    }
}

/// The copies of the re-layouts, one (image, channel) plane per task, split over the workers.
enum LayoutCopy {
    /// Every (full plane, sub-grid (py, px)) pair of `n` images of `c` channels, split over the
    /// workers by full plane: `body(fullPlane, subPlane, py, px)`, plane indices in their tensors.
    private static func forEachSubGrid(_ n: Int, _ c: Int, _ d: Int, _ body: (Int, Int, Int, Int) -> Void) {
        Threading.parallelFor(n * c, minChunk: 4) { r in
            for plane in r {
                let (img, ch) = (plane / c, plane % c)
                for py in 0..<d { for px in 0..<d { body(plane, ((img * d + py) * d + px) * c + ch, py, px) } }
            }
        }
    }

    static func subGrids(_ x: Tensor, _ d: Int, _ hs: Int, _ ws: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(uninitializedShape: [n * d * d, c, hs, ws])
        let src = UncheckedSendable(UnsafePointer(x.data)), dst = UncheckedSendable(out.data)
        forEachSubGrid(n, c, d) { plane, sub, py, px in
            let p = src.value + plane * h * w, q = dst.value + sub * hs * ws
            for i in 0..<hs {
                let row = i * d + py, o = q + i * ws
                guard row < h else { o.update(repeating: 0, count: ws); continue }
                let s = p + row * w
                for j in 0..<ws {
                    let col = j * d + px
                    o[j] = col < w ? s[col] : 0
                }
            }
        }
        return out
    }

    static func fromSubGrids(_ y: Tensor, _ d: Int, _ h: Int, _ w: Int) -> Tensor {
        let (c, hs, ws) = (y.shape[1], y.shape[2], y.shape[3]), n = y.shape[0] / (d * d)
        let out = Tensor(uninitializedShape: [n, c, h, w])
        let src = UncheckedSendable(UnsafePointer(y.data)), dst = UncheckedSendable(out.data)
        forEachSubGrid(n, c, d) { plane, sub, py, px in
            let q = dst.value + plane * h * w, p = src.value + sub * hs * ws
            for i in 0..<hs where i * d + py < h {
                let o = q + (i * d + py) * w, s = p + i * ws
                for j in 0..<ws where j * d + px < w { o[j * d + px] = s[j] }
            }
        }
        return out
    }

    static func canvas(_ x: Tensor, _ per: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), cw = per * (w + 1)
        let out = Tensor(uninitializedShape: [n / per, c, h, cw])
        let src = UncheckedSendable(UnsafePointer(x.data)), dst = UncheckedSendable(out.data)
        Threading.parallelFor(n / per * c, minChunk: 4) { r in
            for plane in r {
                let (k, ch) = (plane / c, plane % c), q = dst.value + plane * h * cw
                for j in 0..<per {
                    let p = src.value + ((k * per + j) * c + ch) * h * w
                    for i in 0..<h {
                        let o = q + i * cw + j * (w + 1)
                        o.update(from: p + i * w, count: w)
                        o[w] = 0
                    }
                }
            }
        }
        return out
    }

    static func fromCanvas(_ y: Tensor, _ per: Int, _ w: Int) -> Tensor {
        let (k, c, h, cw) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        let out = Tensor(uninitializedShape: [k * per, c, h, w])
        let src = UncheckedSendable(UnsafePointer(y.data)), dst = UncheckedSendable(out.data)
        Threading.parallelFor(k * c, minChunk: 4) { r in
            for plane in r {
                let (kk, ch) = (plane / c, plane % c), p = src.value + plane * h * cw
                for j in 0..<per {
                    let q = dst.value + ((kk * per + j) * c + ch) * h * w
                    for i in 0..<h { (q + i * w).update(from: p + i * cw + j * (w + 1), count: w) }
                }
            }
        }
        return out
    }
}
