import Kernels

/// Two exact re-layouts that bring 3×3 convolutions the Winograd kernels would not take
/// (Kernels/Conv2d+Winograd.swift's bounds) onto them. Both are compositions of layout ops
/// (pad, reshape, permute, slice) around an ordinary `conv2d`, so their gradients are those ops'
/// backward passes and the inner convolution's own (Winograd input and weight gradients).
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
///   and two copies of the activations, against 4 multiplications per output instead of 9.
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
        guard ConvolutionPaths.winogradLayouts, g.kernelH == 3, g.kernelW == 3, !g.usesWinograd(inference: inference)
        else { return nil }
        let d = g.dilationH
        if d >= 2, g.dilationW == d, g.padH == d, g.padW == d, g.strideH == g.strideW, g.strideH == 1 || g.strideH == d {
            var sub = g
            (sub.dilationH, sub.dilationW, sub.padH, sub.padW, sub.strideH, sub.strideW) = (1, 1, 1, 1, 1, 1)
            (sub.height, sub.width) = ((g.height + d - 1) / d, (g.width + d - 1) / d)
            if g.strideH == 1 { sub.batch = g.batch * d * d }
            return sub.usesWinograd(inference: inference) || canvasImages(sub, inference: inference) != nil
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
    /// where the maps alone do not (fewer canvases than workers would leave the weight gradient,
    /// which splits over the canvases, off Winograd; a batch of two is left as it is).
    static func canvasImages(_ g: Conv2dGeometry, inference: Bool) -> Int? {
        let workers = Threading.workerCount
        guard g.dilationH == 1, g.dilationW == 1, g.strideH == 1, g.strideW == 1, g.padH == 1, g.padW == 1,
              g.batch % workers == 0, g.batch >= 2 * workers, !g.usesWinograd(inference: inference) else { return nil }
        let per = g.batch / workers
        var canvas = g
        (canvas.batch, canvas.width) = (workers, per * (g.width + 1))
        return canvas.usesWinograd(inference: inference) ? per : nil
    }

    /// The d² (stride 1) or one (stride d) sub-grid convolutions of a dilated one; `sub` is their geometry.
    private func subGridConv(weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry, _ sub: Conv2dGeometry) -> Tensor {
        let d = g.dilationH, n = g.batch, c = g.inChannels, o = g.outChannels, hs = sub.height, ws = sub.width
        if g.strideH == d {
            return slice(axis: 2, step: d).slice(axis: 3, step: d).conv2d(weight: weight, bias: bias, padding: (1, 1), groups: g.groups)
        }
        let x = hs * d == g.height && ws * d == g.width ? self : padded([0, ws * d - g.width, 0, hs * d - g.height])
        // [n, c, hs, py, ws, px] → [n, py, px, c, hs, ws]: sub-grid (py, px) of image n is item n·d² + py·d + px.
        let grids = x.reshaped(n, c, hs, d, ws, d).permuted(0, 3, 5, 1, 2, 4).reshaped(n * d * d, c, hs, ws)
        let y = grids.conv2d(weight: weight, bias: bias, padding: (1, 1), groups: g.groups)
        let full = y.reshaped(n, d, d, o, hs, ws).permuted(0, 3, 4, 1, 5, 2).reshaped(n, o, hs * d, ws * d)
        return full.slice(axis: 2, end: g.height).slice(axis: 3, end: g.width)
    }

    /// One canvas per worker of `imagesPerCanvas` maps, each followed by a zero column.
    private func canvasConv(weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry, imagesPerCanvas per: Int) -> Tensor {
        let k = g.batch / per, c = g.inChannels, o = g.outChannels, h = g.height, w1 = g.width + 1
        let canvas = padded([0, 1]).reshaped(k, per, c, h, w1).permuted(0, 2, 3, 1, 4).reshaped(k, c, h, per * w1)
        let y = canvas.conv2d(weight: weight, bias: bias, padding: (1, 1), groups: g.groups)
        return y.reshaped(k, o, h, per, w1).permuted(0, 3, 1, 2, 4).reshaped(g.batch, o, h, w1).slice(axis: 3, end: g.width)
    }

    /// `body` without adding to the MAC counter (the caller counted the convolution as asked for,
    /// not its re-laid-out form with padding and gap columns).
    private func withoutCountingMACs(_ body: () -> Tensor) -> Tensor {
        MACCounter.$current.withValue(nil) { body() }
    }
}
