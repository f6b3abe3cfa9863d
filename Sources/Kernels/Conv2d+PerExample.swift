/// Convolutions whose kernel differs per example (CondConv, dynamic convolution): image n of the batch
/// uses `weights + n·O·cpg·kH·kW` (O, C/groups, kH, kW) and `biases + n·O`. `g` describes one example's
/// convolution over the whole batch (`batch` images, `groups` as in its Conv2d).
///
/// Where the direct kernels serve it, the batch runs as what it is: one image of N·C channels through
/// a convolution with N·groups groups (the layouts of input, weights, biases and output already match).
/// Otherwise, with at least as many images as workers, the work is split over images and each image
/// runs im2col and one single-threaded GEMM per group on its worker: no fork/join per product, and GEMMs large
/// enough for OpenBLAS's kernels (a grouped convolution with groups = N·groups, as PyTorch code writes
/// it, computes the same products). With fewer images each image goes through the batch-1 paths.
public func perExampleConv2dForward(_ g: Conv2dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                    biases: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
    let one = g.single, inSize = g.inChannels * g.height * g.width, outSize = g.outChannels * g.outH * g.outW
    let wSize = g.outChannels * g.cpg * g.taps
    if g.flattened.usesDirect || g.flattened.usesWinograd {
        conv2dForward(g.flattened, input: input, weight: weights, bias: biases, output: output)
        return
    }
    guard g.batch >= Threading.workerCount else {
        for n in 0..<g.batch {
            conv2dForward(one, input: input + n * inSize, weight: weights + n * wSize,
                          bias: biases.map { $0 + n * g.outChannels }, output: output + n * outSize)
        }
        return
    }
    let k = g.cpg * g.taps, p = g.outH * g.outW
    let xs = UncheckedSendable(input), ws = UncheckedSendable(weights), bs = UncheckedSendable(biases)
    let ys = UncheckedSendable(output)
    Threading.parallelFor(g.batch) { range in
        let scratch = one.isPointwise ? nil : ColumnBuffer(count: k * p)
        for n in range {
            let x = xs.value + n * inSize, y = ys.value + n * outSize, w = ws.value + n * wSize
            for grp in 0..<g.groups {
                let b = columns(one, x, scratch, group: grp)
                sgemmSerial(transA: false, transB: false, m: g.opg, n: p, k: k, alpha: 1, a: w + grp * g.opg * k, lda: k,
                            b: b, ldb: p, beta: 0, c: y + grp * g.opg * p, ldc: p)
            }
            if let bias = bs.value {
                for o in 0..<g.outChannels {
                    let d = y + o * p, v = bias[n * g.outChannels + o]
                    for q in 0..<p { d[q] += v }
                }
            }
        }
    }
}

/// Gradients of `perExampleConv2dForward`: `gradInput` (N, C, H, W), `gradWeights` (N, O, C/groups, kH, kW)
/// and `gradBiases` (N, O), each overwritten when given.
public func perExampleConv2dBackward(_ g: Conv2dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                     gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
                                     gradWeights: UnsafeMutablePointer<Float>?, gradBiases: UnsafeMutablePointer<Float>?) {
    let one = g.single, inSize = g.inChannels * g.height * g.width, outSize = g.outChannels * g.outH * g.outW
    let wSize = g.outChannels * g.cpg * g.taps
    if g.flattened.directInputGradient || g.flattened.winogradInputGradient {
        let flat = g.flattened
        if let gradInput { conv2dBackwardInput(flat, gradOutput: gradOutput, weight: weights, gradInput: gradInput) }
        if gradWeights != nil || gradBiases != nil {
            let gw = gradWeights ?? UnsafeMutablePointer<Float>.allocate(capacity: g.batch * wSize)
            defer { if gradWeights == nil { gw.deallocate() } }
            conv2dBackwardWeight(flat, input: input, gradOutput: gradOutput, gradWeight: gw, gradBias: gradBiases)
        }
        return
    }
    guard g.batch >= Threading.workerCount else {
        for n in 0..<g.batch {
            let gy = gradOutput + n * outSize
            if let gradInput { conv2dBackwardInput(one, gradOutput: gy, weight: weights + n * wSize, gradInput: gradInput + n * inSize) }
            if gradWeights != nil || gradBiases != nil {
                let gw = gradWeights.map { $0 + n * wSize } ?? UnsafeMutablePointer<Float>.allocate(capacity: wSize)
                defer { if gradWeights == nil { gw.deallocate() } }
                conv2dBackwardWeight(one, input: input + n * inSize, gradOutput: gy, gradWeight: gw,
                                     gradBias: gradBiases.map { $0 + n * g.outChannels })
            }
        }
        return
    }
    let k = g.cpg * g.taps, p = g.outH * g.outW, hw = g.height * g.width
    let xs = UncheckedSendable(input), ws = UncheckedSendable(weights), gys = UncheckedSendable(gradOutput)
    let gxs = UncheckedSendable(gradInput), gws = UncheckedSendable(gradWeights), gbs = UncheckedSendable(gradBiases)
    Threading.parallelFor(g.batch) { range in
        let scratch = one.isPointwise ? nil : ColumnBuffer(count: k * p)
        for n in range {
            let x = xs.value + n * inSize, w = ws.value + n * wSize, gy = gys.value + n * outSize
            if let gb = gbs.value {
                for o in 0..<g.outChannels { gb[n * g.outChannels + o] = planeSum(gy + o * p, p) }
            }
            if let gw = gws.value {
                // dW_g = dY_g · colsᵀ
                for grp in 0..<g.groups {
                    let b = columns(one, x, scratch, group: grp)
                    sgemmSerial(transA: false, transB: true, m: g.opg, n: k, k: p, alpha: 1, a: gy + grp * g.opg * p, lda: p,
                                b: b, ldb: p, beta: 0, c: gw + n * wSize + grp * g.opg * k, ldc: k)
                }
            }
            if let gxAll = gxs.value {
                // dcols = W_gᵀ · dY_g, scattered back by col2im
                let gx = gxAll + n * inSize
                if scratch != nil { gx.update(repeating: 0, count: inSize) }
                for grp in 0..<g.groups {
                    let dst = scratch?.pointer ?? (gx + grp * g.cpg * hw)
                    sgemmSerial(transA: true, transB: false, m: k, n: p, k: g.opg, alpha: 1, a: w + grp * g.opg * k, lda: k,
                                b: gy + grp * g.opg * p, ldb: p, beta: 0, c: dst, ldc: p)
                    if let scratch { col2im(one, scratch.pointer, gx, firstChannel: grp * g.cpg, parallel: false) }
                }
            }
        }
    }
}

extension Conv2dGeometry {
    /// The same convolution for one image.
    var single: Conv2dGeometry { var s = self; s.batch = 1; return s }
    /// The whole batch as one image whose N·C channels form N·groups groups.
    var flattened: Conv2dGeometry {
        var s = self; s.batch = 1; s.inChannels *= batch; s.outChannels *= batch; s.groups *= batch; return s
    }
}

/// The GEMM operand of group `grp` of one image: its im2col columns in `scratch` (on this thread), or the
/// input planes themselves for a pointwise convolution (no scratch).
private func columns(_ g: Conv2dGeometry, _ x: UnsafePointer<Float>, _ scratch: ColumnBuffer?, group grp: Int) -> UnsafePointer<Float> {
    guard let scratch else { return x + grp * g.cpg * g.height * g.width }
    im2col(g, x, scratch.pointer, firstChannel: grp * g.cpg, parallel: false)
    return UnsafePointer(scratch.pointer)
}
