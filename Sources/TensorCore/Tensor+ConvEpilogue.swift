import Kernels

/// A convolution with its per-channel epilogue in one pass over the output, for inference:
/// `relu?(scale[o] · conv2d(x, weight, bias)[o] + shift[o] + residual)`. ResNet blocks run every
/// convolution this way when their norms are constant (FrozenBatchNorm2d, BatchNorm2d in eval) and no
/// gradient is recorded: conv → BN → ReLU, and conv3 → bn3 → + identity → ReLU, without the passes
/// of the norm, the ReLU and the residual sum over each map. The Winograd, GEMM and direct (no
/// residual) paths apply it to their output tiles (Kernels/ConvEpilogue.swift); the re-laid-out
/// convolutions and the other paths in a pass after. Without a conv bias the result has the bits of
/// the separate ops (a bias is folded into the shift). With gradients recorded it is the composition
/// of the differentiable ops.
extension Tensor {
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1,
                       scale: [Float], shift: [Float], residual: Tensor? = nil, relu: Bool) -> Tensor {
        let g = conv2dGeometry(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let outShape = [g.batch, g.outChannels, g.outH, g.outW]
        checkShape(scale.count == g.outChannels && shift.count == g.outChannels,
                   "conv2d epilogue: \(scale.count) scales and \(shift.count) shifts for \(g.outChannels) output channels")
        if let residual { checkShape(residual.shape == outShape, "conv2d epilogue: residual \(residual.shape) is not the output \(outShape)") }
        let recording = GradMode.isEnabled && (node != nil || weight.node != nil || bias?.node != nil || residual?.node != nil)
        if recording {
            let c = g.outChannels
            var y = conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
            y = y * Tensor(scale, shape: [1, c, 1, 1]) + Tensor(shift, shape: [1, c, 1, 1])
            if let residual { y = y + residual }
            return relu ? y.relu() : y
        }
        // The conv bias folded into the shift: scale·(Σ + b) + t = scale·Σ + (scale·b + t).
        var t = shift
        if let bias { for o in 0..<t.count { t[o] += scale[o] * bias.data[o] } }
        return withNoGrad { fusedConv2d(weight: weight, g, scale: scale, shift: t, residual: residual, relu: relu) }
    }

    /// The non-recording body: re-layouts convolve and then take the epilogue as a pass; the rest
    /// hand it to the kernels.
    private func fusedConv2d(weight: Tensor, _ g: Conv2dGeometry, scale: [Float], shift: [Float], residual: Tensor?,
                             relu: Bool) -> Tensor {
        MACCounter.record(g.batch * g.outChannels * g.outH * g.outW * weight.shape[1] * weight.shape[2] * weight.shape[3])
        if let (planes, w, pg) = phaseOperands(weight: weight, g) {   // the same output, on the phases
            return MACCounter.$current.withValue(nil) {
                planes.fusedConv2d(weight: w, pg, scale: scale, shift: shift, residual: residual, relu: relu)
            }
        }
        let relaid = conv2dOnWinogradLayout(weight: weight, bias: nil, g, inference: true)
        let out = relaid ?? Tensor(uninitializedShape: [g.batch, g.outChannels, g.outH, g.outW])
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { t in
                let e = ConvEpilogue(scale: s.baseAddress!, shift: t.baseAddress!, residual: residual.map { UnsafePointer($0.data) },
                                     relu: relu)
                if relaid != nil {
                    e.apply(out.data, batch: g.batch, channels: g.outChannels, plane: g.outH * g.outW)
                } else {
                    conv2dForward(g, input: data, weight: weight.data, bias: nil, output: out.data, inference: true, epilogue: e)
                }
            }
        }
        return out
    }
}
