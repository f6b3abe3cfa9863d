/// Geometry of a 2-D convolution: input NCHW, weight OIHW with I = inChannels / groups.
public struct Conv2dGeometry: Sendable, Equatable {
    public var batch, inChannels, height, width, outChannels, kernelH, kernelW: Int
    public var strideH, strideW, padH, padW, dilationH, dilationW, groups: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int, groups: Int) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW; self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW; self.groups = groups
    }

    public var outH: Int { (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outW: Int { (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1 }

    var cpg: Int { inChannels / groups }
    var opg: Int { outChannels / groups }
    var taps: Int { kernelH * kernelW }
    var isPointwise: Bool { kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 }
    var isDepthwise: Bool { cpg == 1 && groups > 1 }
    /// A 1×1 convolution of 1×1 maps: one matrix product over the whole batch.
    var isDense: Bool { isPointwise && groups == 1 && height == 1 && width == 1 }
    /// The per-image products are too small for `sgemm` to split (below its 2²¹ multiply-add
    /// threshold, e.g. 1×1 and grouped convolutions on 7×7 or 14×14 maps): the GEMM paths then
    /// give whole images to the workers instead of running them one after another on one core.
    var imageParallel: Bool {
        guard batch >= 2 && Threading.workerCount > 1 else { return false }
        // 1×1 convolutions (no column buffer) also when the images divide evenly over the workers:
        // one parallel region and full-width products instead of a split product per image.
        if isPointwise && batch % Threading.workerCount == 0 && ConvolutionPaths.pointwiseOverImages { return true }
        return outChannels * cpg * taps * outH * outW < (1 << 21)
    }
}

/// Scratch column buffer reused by the im2col paths of one call (blocks above 32 MiB through
/// `LargeBlocks`, so the next call of the same size skips the page faults).
final class ColumnBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(count: Int) {
        MemoryCeiling.reserve(floats: count)
        self.count = count
        pointer = LargeBlocks.take(count) ?? .allocate(capacity: max(count, 1))
    }
    deinit {
        if !LargeBlocks.keep(pointer, count) { pointer.deallocate() }
        MemoryCeiling.release(floats: count)
    }
}

/// Columns (cpg·kH·kW, outH·outW) of the input channels `c0..<c0+cpg` of one image, rows `rowStride`
/// floats apart (default outH·outW: contiguous).
func im2col(_ g: Conv2dGeometry, _ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, firstChannel c0: Int,
            parallel: Bool = true, rowStride: Int? = nil) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width, p = oh * ow, ld = rowStride ?? p
    Threading.parallelFor(g.cpg * g.taps, minChunk: parallel ? max(1, 16384 / max(p, 1)) : Int.max) { range in
        for row in range {
            let c = row / g.taps, t = row % g.taps, i = t / g.kernelW, j = t % g.kernelW
            let plane = x + (c0 + c) * h * w
            let dst = col + row * ld
            let dx = j * g.dilationW - g.padW
            // Valid ox range: 0 <= ox*sw + dx < w
            let oxLo = dx >= 0 ? 0 : min(ow, (-dx + g.strideW - 1) / g.strideW)
            let oxHi = max(oxLo, min(ow, (w - dx + g.strideW - 1) / g.strideW))
            for oy in 0..<oh {
                let iy = oy * g.strideH + i * g.dilationH - g.padH
                let d = dst + oy * ow
                if iy < 0 || iy >= h { d.update(repeating: 0, count: ow); continue }
                let src = plane + iy * w + dx
                if oxLo > 0 { d.update(repeating: 0, count: oxLo) }
                if g.strideW == 1 {
                    (d + oxLo).update(from: src + oxLo, count: oxHi - oxLo)
                } else {
                    for ox in oxLo..<oxHi { d[ox] = src[ox * g.strideW] }
                }
                if oxHi < ow { (d + oxHi).update(repeating: 0, count: ow - oxHi) }
            }
        }
    }
}

/// Adds columns back into the input planes `c0..<c0+cpg` (the adjoint of `im2col`).
func col2im(_ g: Conv2dGeometry, _ col: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>, firstChannel c0: Int,
            parallel: Bool = true) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width, p = oh * ow
    // Parallel over channels: each channel's plane is written by its own taps only.
    Threading.parallelFor(g.cpg, minChunk: parallel ? 1 : Int.max) { range in
        for c in range {
            let plane = x + (c0 + c) * h * w
            for t in 0..<g.taps {
                let i = t / g.kernelW, j = t % g.kernelW
                let src = col + (c * g.taps + t) * p
                let dx = j * g.dilationW - g.padW
                let oxLo = dx >= 0 ? 0 : min(ow, (-dx + g.strideW - 1) / g.strideW)
                let oxHi = max(oxLo, min(ow, (w - dx + g.strideW - 1) / g.strideW))
                for oy in 0..<oh {
                    let iy = oy * g.strideH + i * g.dilationH - g.padH
                    if iy < 0 || iy >= h { continue }
                    let d = plane + iy * w + dx, s = src + oy * ow
                    if g.strideW == 1 {
                        for ox in oxLo..<oxHi { d[ox] += s[ox] }
                    } else {
                        for ox in oxLo..<oxHi { d[ox * g.strideW] += s[ox] }
                    }
                }
            }
        }
    }
}

/// Convolution forward. `output` (N, O, outH, outW) is overwritten. `inference`: no gradient will be
/// taken through it, so Winograd may use F(4×4, 3×3) (`Conv2dGeometry.winograd43`). `epilogue`: the
/// Winograd, GEMM and direct (without residual, AVX-512) paths apply it to their output tiles; the
/// others in a pass after.
public func conv2dForward(_ g: Conv2dGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, inference: Bool = false,
                          epilogue: ConvEpilogue? = nil) {
    if g.isDepthwise {
        depthwiseForward(g, input, weight, bias, output)
    } else if g.usesWinogradBatched(inference: inference) {
        winogradBatchedForward(g, input, weight, bias, output, f43: inference, epilogue: epilogue)
        return
    } else if g.usesWinograd(inference: inference) {
        winogradForward(g, input, weight, bias, output, f43: inference && g.winograd43, inference: inference, epilogue: epilogue)
        return
    } else if inference && g.usesDirectStride2 {
        let inKernel = ColumnGEMM.available && epilogue?.residual == nil   // as below
        directForwardStride2(g, input, weight, bias, output, epilogue: inKernel ? epilogue : nil)
        if inKernel { return }
    } else if g.usesDirect {
        let inKernel = ColumnGEMM.available && epilogue?.residual == nil   // the kernel's epilogue: AVX-512, no residual
        directForward(g, input, weight, bias, output, epilogue: inKernel ? epilogue : nil)
        if inKernel { return }
    } else if g.usesColumnGEMM {
        pointwiseForward(g, input, weight, bias, output, epilogue: epilogue)
        return
    } else if g.usesBatchedColumns {
        batchedColumnsForward(g, input, weight, bias, output, epilogue: epilogue)
        return
    } else {
        productForward(g, input: input, weight: weight, bias: bias, output: output)
    }
    epilogue?.apply(output, batch: g.batch, channels: g.outChannels, plane: g.outH * g.outW)
}

/// The forward of the geometries no specialised path takes: one product over the batch for 1×1 maps,
/// else im2col + OpenBLAS image by image.
private func productForward(_ g: Conv2dGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
    let p = g.outH * g.outW, hw = g.height * g.width
    if g.isDense {
        // Y (N×O) = X (N×C) · Wᵀ
        sgemm(transA: false, transB: true, m: g.batch, n: g.outChannels, k: g.inChannels, alpha: 1,
              a: input, lda: g.inChannels, b: weight, ldb: g.inChannels, beta: 0, c: output, ldc: g.outChannels)
        if let bias { for n in 0..<g.batch { for o in 0..<g.outChannels { output[n * g.outChannels + o] += bias[o] } } }
        return
    }
    let k = g.cpg * g.taps
    let inner = !g.imageParallel  // parallel inside each image, or over images
    forEachImage(g) { images in
        let scratch = g.isPointwise ? nil : ColumnBuffer(count: k * p)
        for n in images {
            let x = input + n * g.inChannels * hw
            let y = output + n * g.outChannels * p
            for grp in 0..<g.groups {
                let b: UnsafePointer<Float>
                if let scratch {
                    im2col(g, x, scratch.pointer, firstChannel: grp * g.cpg, parallel: inner)
                    b = UnsafePointer(scratch.pointer)
                } else {
                    b = x + grp * g.cpg * hw
                }
                sgemm(transA: false, transB: false, m: g.opg, n: p, k: k, alpha: 1,
                      a: weight + grp * g.opg * k, lda: k, b: b, ldb: p, beta: 0, c: y + grp * g.opg * p, ldc: p)
            }
            if let bias {
                Threading.parallelFor(g.outChannels, minChunk: inner ? max(1, 16384 / max(p, 1)) : Int.max) { r in
                    for o in r { let d = y + o * p, v = bias[o]; for q in 0..<p { d[q] += v } }
                }
            }
        }
    }
}

/// Runs `body` over all images: once with every image (the GEMMs and loops inside then use both
/// cores), or, for `imageParallel` geometries, once per worker with its share of the images.
private func forEachImage(_ g: Conv2dGeometry, _ body: (Range<Int>) -> Void) {
    if g.imageParallel {
        Threading.parallelFor(g.batch) { images in body(images) }
    } else {
        body(0..<g.batch)
    }
}

/// Gradient of the input. `gradInput` (N, C, H, W) is overwritten.
public func conv2dBackwardInput(_ g: Conv2dGeometry, gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                gradInput: UnsafeMutablePointer<Float>) {
    let p = g.outH * g.outW, hw = g.height * g.width
    if g.isDepthwise {
        depthwiseBackwardInput(g, gradOutput, weight, gradInput)
        return
    }
    if g.winogradInputGradient {
        winogradBackwardInput(g, gradOutput, weight, gradInput)
        return
    }
    if g.usesWinogradBatchedTraining {
        winogradBatchedBackwardInput(g, gradOutput, weight, gradInput)
        return
    }
    if g.directInputGradient {
        directBackwardInput(g, gradOutput, weight, gradInput)
        return
    }
    if g.columnGEMMInputGradient {
        pointwiseBackwardInput(g, gradOutput, weight, gradInput)
        return
    }
    if g.usesBatchedColumns {
        batchedColumnsBackwardInput(g, gradOutput, weight, gradInput)
        return
    }
    if g.isDense {
        // dX (N×C) = dY (N×O) · W (O×C)
        sgemm(transA: false, transB: false, m: g.batch, n: g.inChannels, k: g.outChannels, alpha: 1,
              a: gradOutput, lda: g.outChannels, b: weight, ldb: g.inChannels, beta: 0, c: gradInput, ldc: g.inChannels)
        return
    }
    let k = g.cpg * g.taps
    let inner = !g.imageParallel
    forEachImage(g) { images in
        let scratch = g.isPointwise ? nil : ColumnBuffer(count: k * p)
        for n in images {
            let gx = gradInput + n * g.inChannels * hw
            let gy = gradOutput + n * g.outChannels * p
            if scratch != nil { gx.update(repeating: 0, count: g.inChannels * hw) }
            for grp in 0..<g.groups {
                // dcols = W_gᵀ · dY_g
                let dst = scratch?.pointer ?? (gx + grp * g.cpg * hw)
                sgemm(transA: true, transB: false, m: k, n: p, k: g.opg, alpha: 1,
                      a: weight + grp * g.opg * k, lda: k, b: gy + grp * g.opg * p, ldb: p, beta: 0, c: dst, ldc: p)
                if let scratch { col2im(g, scratch.pointer, gx, firstChannel: grp * g.cpg, parallel: inner) }
            }
        }
    }
}

/// Σ of `count` floats with eight-lane partial sums (a bias gradient's plane).
@inline(__always)
func planeSum(_ s: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var q = 0
    while q + 8 <= count { acc += UnsafeRawPointer(s + q).loadUnaligned(as: SIMD8<Float>.self); q += 8 }
    var t = acc.sum()
    while q < count { t += s[q]; q += 1 }
    return t
}

/// Gradients of the weight (and bias). Both are overwritten.
public func conv2dBackwardWeight(_ g: Conv2dGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                                 gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>?) {
    let p = g.outH * g.outW, hw = g.height * g.width
    if let gradBias {
        // One parallel region over channels, images inside (summed in image order as before).
        Threading.parallelFor(g.outChannels, minChunk: max(1, 8192 / max(g.batch * p, 1))) { r in
            for o in r {
                var total: Float = 0
                for n in 0..<g.batch { total += planeSum(gradOutput + (n * g.outChannels + o) * p, p) }
                gradBias[o] = total
            }
        }
    }
    if g.isDepthwise {
        depthwiseBackwardWeight(g, input, gradOutput, gradWeight)
        return
    }
    if g.winogradWeightGradient {
        winogradBackwardWeight(g, input, gradOutput, gradWeight)
        return
    }
    if g.usesWinogradBatchedTraining && ConvolutionPaths.winogradWeightGradient {
        winogradBatchedBackwardWeight(g, input, gradOutput, gradWeight)
        return
    }
    if g.usesDirect {
        directBackwardWeight(g, input, gradOutput, gradWeight)
        return
    }
    if g.batchedColumnsWeightGradient {
        batchedColumnsBackwardWeight(g, input, gradOutput, gradWeight)
        return
    }
    if g.isDense {
        // dW (O×C) = dYᵀ (O×N) · X (N×C)
        sgemm(transA: true, transB: false, m: g.outChannels, n: g.inChannels, k: g.batch, alpha: 1,
              a: gradOutput, lda: g.outChannels, b: input, ldb: g.inChannels, beta: 0, c: gradWeight, ldc: g.inChannels)
        return
    }
    let k = g.cpg * g.taps, wCount = g.outChannels * k
    // Images in fixed parts (one per worker for imageParallel geometries), each summing into its
    // own buffer (part 0 into gradWeight), then the parts added in order: deterministic.
    let parts = g.imageParallel ? min(Threading.workerCount, g.batch) : 1
    let partials = parts > 1 ? ColumnBuffer(count: (parts - 1) * wCount) : nil
    Threading.parallelFor(parts) { range in
        for part in range {
            let dstW = part == 0 ? gradWeight : partials!.pointer + (part - 1) * wCount
            let scratch = g.isPointwise ? nil : ColumnBuffer(count: k * p)
            let first = part * g.batch / parts, last = (part + 1) * g.batch / parts
            for n in first..<last {
                let x = input + n * g.inChannels * hw
                let gy = gradOutput + n * g.outChannels * p
                for grp in 0..<g.groups {
                    let b: UnsafePointer<Float>
                    if let scratch {
                        im2col(g, x, scratch.pointer, firstChannel: grp * g.cpg, parallel: parts == 1)
                        b = UnsafePointer(scratch.pointer)
                    } else {
                        b = x + grp * g.cpg * hw
                    }
                    // dW_g (+)= dY_g · colsᵀ
                    sgemm(transA: false, transB: true, m: g.opg, n: k, k: p, alpha: 1,
                          a: gy + grp * g.opg * p, lda: p, b: b, ldb: p, beta: n == first ? 0 : 1,
                          c: dstW + grp * g.opg * k, ldc: k)
                }
            }
        }
    }
    if let partials {
        for part in 1..<parts {
            let src = partials.pointer + (part - 1) * wCount
            for i in 0..<wCount { gradWeight[i] += src[i] }
        }
    }
}
