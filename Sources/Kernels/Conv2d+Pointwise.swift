/// 1×1 convolutions as one product over the whole batch (`ColumnGEMM`): the columns of all images
/// in a row, the weights packed once per call. Only where that beats OpenBLAS image by image: many
/// columns in all (each worker gets several 32-column tiles) or many rows (split by rows), an m of at least 32 rows (12-row
/// register tiles waste little) and a k of at least 64 (so the register tile's loads and stores
/// are amortised); below that the one-image products are as good and cheaper to set up.
extension Conv2dGeometry {
    private func columnGEMMServes(m: Int, k: Int) -> Bool {
        isPointwise && !isDense && ConvolutionPaths.pointwiseColumnGEMM && ColumnGEMM.available
            && height * width >= ColumnGEMM.minimumColumns && m >= 32 && k >= 64
            && (batch * height * width >= 512 || ColumnGEMM.byRows(m: m, columns: batch * height * width))
    }

    /// Whether the forward pass runs on `ColumnGEMM` (m = output, k = input channels per group).
    var usesColumnGEMM: Bool { columnGEMMServes(m: opg, k: cpg) }
    /// Whether the input gradient runs on `ColumnGEMM` (m = input, k = output channels per group).
    var columnGEMMInputGradient: Bool { columnGEMMServes(m: cpg, k: opg) }
}

/// Y_n,g (opg × HW) = W_g (opg × cpg) · X_n,g (cpg × HW) + bias, all images in one product per group.
func pointwiseForward(_ g: Conv2dGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                      _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue? = nil) {
    let hw = g.height * g.width
    for grp in 0..<g.groups {
        withEpilogue(epilogue, channel: grp * g.opg, offset: grp * g.opg * hw) { e in
            ColumnGEMM.multiply(transA: false, m: g.opg, k: g.cpg, a: w + grp * g.opg * g.cpg, lda: g.cpg,
                                b: x + grp * g.cpg * hw, ldb: hw, bStride: g.inChannels * hw, columns: hw, images: g.batch,
                                beta: 0, bias: bias.map { $0 + grp * g.opg }, c: y + grp * g.opg * hw, ldc: hw,
                                cStride: g.outChannels * hw, epilogue: e)
        }
    }
}

/// dX_n,g (cpg × HW) = W_gᵀ · dY_n,g (opg × HW), all images in one product per group.
func pointwiseBackwardInput(_ g: Conv2dGeometry, _ gy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                            _ gx: UnsafeMutablePointer<Float>) {
    let hw = g.height * g.width
    for grp in 0..<g.groups {
        ColumnGEMM.multiply(transA: true, m: g.cpg, k: g.opg, a: w + grp * g.opg * g.cpg, lda: g.cpg,
                            b: gy + grp * g.opg * hw, ldb: hw, bStride: g.outChannels * hw, columns: hw,
                            images: g.batch, beta: 0, bias: nil, c: gx + grp * g.cpg * hw, ldc: hw,
                            cStride: g.inChannels * hw)
    }
}
