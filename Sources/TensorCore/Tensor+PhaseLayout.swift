import Kernels

/// Strided 7×7 convolutions with few input channels (ResNet's stem: 3 → 64, stride 2), and stride-2
/// grouped 3×3s of few channels per group (ResNeXt's first blocks of layer2 and layer3), as one
/// stride-1 convolution on the input's phases ("space to depth"), which the direct kernels
/// (Kernels/Conv2d+Direct.swift, up to 64 output channels per group) take instead of im2col + GEMM.
/// A group's channels stay together (channel c's phases are c·s² … c·s² + s² − 1), so the groups carry
/// over. The grouped 3×3 becomes a 2×2 kernel on 4·cpg channels per group (16 taps where 9 were
/// real: 1.78× the multiply-adds): (8,256,56,56) → 256, 32 groups, 9.9–10.3 → 4.9 ms; (8,512,28,28)
/// 5.1–5.4 → 3.6; (8,1024,14,14), 32 channels per group, 2.9–3.0 → 3.5 (left on im2col).
///
/// With stride s, input channel c and phase (py, px) become channel c·s² + py·s + px of planes
/// P[i][j] = x_pad[s·i + py][s·j + px] (x_pad: the input with the convolution's zero padding), and the
/// kernel tap (ky, kx) becomes tap (ky / s, kx / s) of that channel in a ⌈k/s⌉ × ⌈k/s⌉ kernel whose
/// remaining taps are zero: y[oy][ox] = Σ W'[c'][a][b] · P[c'][oy + a][ox + b], the same sum of the same
/// products plus products with the zero taps. Those cost (⌈7/2⌉·2)²/7² = 1.31× the multiply-adds,
/// which the direct kernels repay (the stem's forward at (8,3,224,224), and its weight gradient,
/// which im2col + GEMM ran at a third of the GEMM's rate). The weights take the same re-layout (padding
/// 0), so both copies are `LayoutCopy.phases` and its adjoint, and the gradients are theirs and the
/// direct kernels'. An input holding an infinity or NaN keeps the ordinary path (a zero tap times an
/// infinity would make a NaN the strided convolution never computes).
/// Where the stride-2 direct kernels serve (`Conv2dGeometry.usesDirectStride2`: the stride-2 stem
/// and grouped 3×3s) they come first: no copy and no zero taps; this re-layout then serves other
/// strides, and stride 2 with those kernels turned off.
/// `conv2d` takes it only with gradient recording off (inference): its other float32 rounding flipped
/// ReLU and proposal-selection kinks of two training-mode parity fixtures (docs/tensor-core.md).
/// `AZOO_PHASE_LAYOUT=0` (`ConvolutionPaths.phaseLayout`) turns it off.
extension Tensor {
    /// The phase re-layout's stride-1 geometry for `g`, or nil where it does not apply.
    static func phaseLayout(_ g: Conv2dGeometry) -> Conv2dGeometry? {
        let s = g.strideH
        let stem = g.kernelH == 7 && g.kernelW == 7 && g.groups == 1 && g.inChannels * s * s <= 16
        // ResNeXt's stride-2 grouped 3×3s of ≤ 16 channels per group (64 on the phases); 32 per group ran slower.
        let grouped = g.kernelH == 3 && g.kernelW == 3 && s == 2 && g.groups > 1 && g.inChannels / g.groups * 4 <= 64
        guard ConvolutionPaths.phaseLayout, s >= 2, g.strideW == s, (stem || grouped) && !g.usesDirectStride2, g.dilationH == 1,
              g.dilationW == 1 else { return nil }
        let k = (g.kernelH + s - 1) / s
        var p = g
        (p.inChannels, p.kernelH, p.kernelW, p.strideH, p.strideW, p.padH, p.padW) = (g.inChannels * s * s, k, k, 1, 1, 0, 0)
        (p.height, p.width) = (g.outH + k - 1, g.outW + k - 1)
        return p.usesDirect ? p : nil
    }

    /// The convolution of geometry `g` on its phases, or nil where the re-layout does not apply or
    /// the input is not finite.
    func conv2dOnPhaseLayout(weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry) -> Tensor? {
        guard let (planes, w, _) = phaseOperands(weight: weight, g) else { return nil }
        return MACCounter.$current.withValue(nil) { planes.conv2d(weight: w, bias: bias, groups: g.groups) }
    }

    /// The phase planes of the input and the re-laid-out weights with their stride-1 geometry, or nil
    /// where the re-layout does not apply or the input (or weight) is not finite.
    func phaseOperands(weight: Tensor, _ g: Conv2dGeometry) -> (planes: Tensor, weight: Tensor, geometry: Conv2dGeometry)? {
        guard let p = Self.phaseLayout(g) else { return nil }
        let s = g.strideH
        guard let planes = phases(s, pad: (g.padH, g.padW), height: p.height, width: p.width),
              let w = weight.phases(s, pad: (0, 0), height: p.kernelH, width: p.kernelW) else { return nil }
        return (planes, w, p)
    }

    /// (N, C, H, W) → (N, C·s², hp, wp): channel c·s² + py·s + px holds x[c][s·i + py − padH][s·j + px − padW]
    /// (zero outside the map). Nil when the input holds an infinity or NaN. The adjoint of `fromPhases`.
    func phases(_ s: Int, pad: (Int, Int), height hp: Int, width wp: Int) -> Tensor? {
        let (h, w) = (shape[2], shape[3])
        guard let out = LayoutCopy.phases(self, s, pad, hp, wp) else { return nil }
        return Tensor.differentiable("phases", inputs: [self], output: out) { g in [LayoutCopy.fromPhases(g, s, pad, h, w)] }
    }
}

extension LayoutCopy {
    /// The gather of `Tensor.phases`, one source plane per task; nil when a value is not finite.
    static func phases(_ x: Tensor, _ s: Int, _ pad: (Int, Int), _ hp: Int, _ wp: Int) -> Tensor? {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(uninitializedShape: [n, c * s * s, hp, wp])
        let src = UncheckedSendable(UnsafePointer(x.data)), dst = UncheckedSendable(out.data)
        let planes = n * c
        let magnitude = UnsafeMutablePointer<UInt32>.allocate(capacity: planes)
        defer { magnitude.deallocate() }
        let mags = UncheckedSendable(magnitude)
        Threading.parallelFor(planes, minChunk: 1) { r in
            for plane in r {
                let p = src.value + plane * h * w
                var m: UInt32 = 0
                for py in 0..<s {
                    for px in 0..<s {
                        let q = dst.value + (plane * s * s + py * s + px) * hp * wp
                        for i in 0..<hp {
                            let row = s * i + py - pad.0, o = q + i * wp
                            guard row >= 0 && row < h else { o.update(repeating: 0, count: wp); continue }
                            let line = p + row * w
                            line.withMemoryRebound(to: UInt32.self, capacity: w) { bits in
                                for j in 0..<wp {
                                    let col = s * j + px - pad.1
                                    let inside = col >= 0 && col < w
                                    let v = inside ? line[col] : 0
                                    m = Swift.max(m, inside ? bits[col] & 0x7FFF_FFFF : 0)
                                    o[j] = v
                                }
                            }
                        }
                    }
                }
                mags.value[plane] = m
            }
        }
        for i in 0..<planes where magnitude[i] >= 0x7F80_0000 { return nil }
        return out
    }

    /// The adjoint of `phases`: each input position takes its one phase entry (zero when none).
    static func fromPhases(_ y: Tensor, _ s: Int, _ pad: (Int, Int), _ h: Int, _ w: Int) -> Tensor {
        let (n, hp, wp) = (y.shape[0], y.shape[2], y.shape[3]), c = y.shape[1] / (s * s)
        let out = Tensor(uninitializedShape: [n, c, h, w])
        let src = UncheckedSendable(UnsafePointer(y.data)), dst = UncheckedSendable(out.data)
        Threading.parallelFor(n * c, minChunk: 1) { r in
            for plane in r {
                let q = dst.value + plane * h * w
                for row in 0..<h {
                    let (i, py) = ((row + pad.0) / s, (row + pad.0) % s), o = q + row * w
                    for col in 0..<w {
                        let (j, px) = ((col + pad.1) / s, (col + pad.1) % s)
                        o[col] = i < hp && j < wp ? src.value[((plane * s * s + py * s + px) * hp + i) * wp + j] : 0
                    }
                }
            }
        }
        return out
    }
}
