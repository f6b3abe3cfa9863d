/// Convolutions that neither Winograd nor the direct kernels take (ResNet's stem, the stride-2
/// 3×3s and 1×1s, 3×3s on 7×7 maps) as im2col of several images into one column buffer and one `ColumnGEMM`
/// product over them, instead of one OpenBLAS product per image: a per-image product of a 7×7 map
/// has 49 columns, too few for either GEMM to run near its peak, and OpenBLAS's kernels on this
/// CPU are its AVX2 ones. Grouped convolutions with ≥ 32 output channels per group (ResNeSt's
/// radix-2 3×3s on 14×14 and 7×7 maps) run one product per group.
extension Conv2dGeometry {
    /// The bounds every batched-columns path shares: the path is on, the CPU has the kernel, a
    /// group's output channels fill several 12-row register tiles, and the work is worth a product.
    private var batchedColumnsBounds: Bool {
        ConvolutionPaths.batchedColumns && ColumnGEMM.available && !isDepthwise && opg >= 32
            && opg * cpg * taps * outH * outW * batch * groups >= 1 << 22
    }

    /// Whether the forward pass and the input gradient run here.
    var usesBatchedColumns: Bool {
        batchedColumnsBounds && !isPointwise && outH * outW >= ColumnGEMM.minimumColumns && cpg * taps >= 64
    }

    /// Whether the weight gradient does too: only for weights of at least 64 Ki entries per group
    /// (ResNet's stem, 64 × 147, has too few output tiles for the split over columns: its one-image
    /// products are as fast). Also for 1×1 convolutions (their forward and input gradient have
    /// `pointwiseForward`): one image of a 7×7 map is a product only 49 deep. 1×1s of maps of ≥ 512
    /// positions from 16 Ki weights (ResNet layer1's 256 → 64 and 64 → 256, whose per-image products
    /// otherwise went to OpenBLAS's AVX2 kernels: (8,256,56,56) → 64 forward+backward 9.5–9.7 → 8.6–8.7
    /// ms); 64 → 64 stays there (its image-parallel products were as fast).
    var batchedColumnsWeightGradient: Bool {
        let pointwise = batchedColumnsBounds && isPointwise && !isDense && batch >= 2
        return (usesBatchedColumns || pointwise) && (opg * cpg * taps >= 1 << 16 || pointwise && outH * outW >= 512 && opg * cpg >= 1 << 14)
    }

    /// Images per column buffer: as many as fit in about 16 MB (at least one).
    var batchedColumnImages: Int {
        max(1, min(batch, (4 << 20) / max(1, cpg * taps * outH * outW)))
    }
}

/// Calls `body(first, count)` for the batch's chunks of `batchedColumnImages` images, in order.
private func forEachChunk(_ g: Conv2dGeometry, _ body: (_ first: Int, _ count: Int) -> Void) {
    var first = 0
    while first < g.batch {
        let count = min(g.batchedColumnImages, g.batch - first)
        body(first, count)
        first += count
    }
}

/// Y_n,g = W_g · im2col(X_n,g) (+ bias) for chunks of images, each chunk one product per group.
func batchedColumnsForward(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                           _ bias: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue? = nil) {
    let k = g.cpg * g.taps, p = g.outH * g.outW, hw = g.height * g.width, chunk = g.batchedColumnImages
    let cols = ColumnBuffer(count: chunk * k * p)
    let x = UncheckedSendable(input), c = UncheckedSendable(cols.pointer)
    forEachChunk(g) { first, count in
        for grp in 0..<g.groups {
            Threading.parallelFor(count) { r in
                for i in r {
                    im2col(g, x.value + (first + i) * g.inChannels * hw, c.value + i * k * p, firstChannel: grp * g.cpg, parallel: false)
                }
            }
            let offset = (first * g.outChannels + grp * g.opg) * p
            withEpilogue(epilogue, channel: grp * g.opg, offset: offset) { e in
                ColumnGEMM.multiply(transA: false, m: g.opg, k: k, a: weight + grp * g.opg * k, lda: k, b: cols.pointer, ldb: p,
                                    bStride: k * p, columns: p, images: count, beta: 0, bias: bias.map { $0 + grp * g.opg },
                                    c: output + offset, ldc: p, cStride: g.outChannels * p, epilogue: e)
            }
        }
    }
}

/// dX_n = col2im(W_gᵀ · dY_n,g) for chunks of images, each chunk one product per group.
func batchedColumnsBackwardInput(_ g: Conv2dGeometry, _ gradOutput: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                 _ gradInput: UnsafeMutablePointer<Float>) {
    let k = g.cpg * g.taps, p = g.outH * g.outW, hw = g.height * g.width, chunk = g.batchedColumnImages
    let cols = ColumnBuffer(count: chunk * k * p)
    let gx = UncheckedSendable(gradInput), c = UncheckedSendable(UnsafePointer(cols.pointer))
    forEachChunk(g) { first, count in
        Threading.parallelFor(count) { r in
            for i in r { (gx.value + (first + i) * g.inChannels * hw).update(repeating: 0, count: g.inChannels * hw) }
        }
        for grp in 0..<g.groups {
            ColumnGEMM.multiply(transA: true, m: k, k: g.opg, a: weight + grp * g.opg * k, lda: k,
                                b: gradOutput + (first * g.outChannels + grp * g.opg) * p, ldb: p, bStride: g.outChannels * p,
                                columns: p, images: count, beta: 0, bias: nil, c: cols.pointer, ldc: p, cStride: k * p)
            Threading.parallelFor(count) { r in
                for i in r {
                    col2im(g, c.value + i * k * p, gx.value + (first + i) * g.inChannels * hw, firstChannel: grp * g.cpg, parallel: false)
                }
            }
        }
    }
}

/// dW = Σ_n dY_n · im2col(X_n)ᵀ as one product per chunk of images over all their positions: the
/// chunk's columns laid side by side (k rows of count·p), its output gradients likewise (O rows),
/// then dW_g (+)= dY_chunk,g · cols_chunk,gᵀ per group.
func batchedColumnsBackwardWeight(_ g: Conv2dGeometry, _ input: UnsafePointer<Float>, _ gradOutput: UnsafePointer<Float>,
                                  _ gradWeight: UnsafeMutablePointer<Float>) {
    let k = g.cpg * g.taps, p = g.outH * g.outW, hw = g.height * g.width, chunk = g.batchedColumnImages, o = g.opg
    if g.isPointwise && p >= 512 && g.cpg >= ColumnGEMM.minimumColumns && ConvolutionPaths.pointwiseWeightGradientPerImage {
        // 1×1 convolutions of maps of ≥ 512 positions: one product per image straight from the tensors
        // (k = HW deep, enough for the register tiles), dW_g (+)= dY_n,g · X_n,gᵀ, instead of copying both
        // into image-concatenated columns first (2% of a resnet50 forward+backward in those copies;
        // resnet50 forward+backward 613–638 → 595–642 ms, seven alternating rounds).
        for n in 0..<g.batch {
            for grp in 0..<g.groups {
                ColumnGEMM.multiply(transA: false, transB: true, m: o, k: p, a: gradOutput + (n * g.outChannels + grp * o) * p, lda: p,
                                    b: input + (n * g.inChannels + grp * g.cpg) * hw, ldb: hw, bStride: 0, columns: g.cpg, images: 1,
                                    beta: n == 0 ? 0 : 1, bias: nil, c: gradWeight + grp * o * k, ldc: k, cStride: 0)
            }
        }
        return
    }
    if p >= 16 {
        // The chunk's output gradients (and a 1×1's inputs) read where they lie, as a depth over
        // segments of p (`ColumnGEMM`'s aSegment / bSegment): the same packed values as the copies laid
        // side by side that maps of fewer than 16 positions still take below, so the same bits
        // (resnet50's layer3 and layer4 1×1s copied 2 M floats each per backward).
        let cols = g.isPointwise ? nil : ColumnBuffer(count: chunk * k * p)
        let x = UncheckedSendable(input), c = cols.map { UncheckedSendable($0.pointer) }
        forEachChunk(g) { first, count in
            let width = count * p
            for grp in 0..<g.groups {
                var b = input + (first * g.inChannels + grp * g.cpg) * hw, ldb = hw
                var bSegment: (length: Int, stride: Int)? = (p, g.inChannels * hw)
                if let c {
                    Threading.parallelFor(count) { r in
                        for i in r {
                            im2col(g, x.value + (first + i) * g.inChannels * hw, c.value + i * p, firstChannel: grp * g.cpg,
                                   parallel: false, rowStride: width)
                        }
                    }
                    (b, ldb, bSegment) = (UnsafePointer(c.value), width, nil)
                }
                ColumnGEMM.multiply(transA: false, transB: true, m: o, k: width, a: gradOutput + (first * g.outChannels + grp * o) * p,
                                    lda: p, b: b, ldb: ldb, bStride: 0, columns: k, images: 1, beta: first == 0 ? 0 : 1, bias: nil,
                                    c: gradWeight + grp * o * k, ldc: k, cStride: 0, aSegment: (p, g.outChannels * p),
                                    bSegment: bSegment)
            }
        }
        return
    }
    let cols = ColumnBuffer(count: chunk * k * p), gys = ColumnBuffer(count: chunk * o * p)
    let x = UncheckedSendable(input), gy = UncheckedSendable(gradOutput)
    let c = UncheckedSendable(cols.pointer), d = UncheckedSendable(gys.pointer)
    forEachChunk(g) { first, count in
        let width = count * p
        for grp in 0..<g.groups {
            Threading.parallelFor(count) { r in
                for i in r {
                    im2col(g, x.value + (first + i) * g.inChannels * hw, c.value + i * p, firstChannel: grp * g.cpg, parallel: false,
                           rowStride: width)
                    let src = gy.value + ((first + i) * g.outChannels + grp * o) * p
                    for ch in 0..<o { (d.value + ch * width + i * p).update(from: src + ch * p, count: p) }
                }
            }
            ColumnGEMM.multiply(transA: false, transB: true, m: o, k: width, a: gys.pointer, lda: width, b: cols.pointer,
                                ldb: width, bStride: 0, columns: k, images: 1, beta: first == 0 ? 0 : 1, bias: nil,
                                c: gradWeight + grp * o * k, ldc: k, cStride: 0)
        }
    }
}
