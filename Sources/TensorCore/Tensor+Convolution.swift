import Kernels

/// Convolutions through the Kernels target (im2col + GEMM, direct 1×1 and depthwise paths).
extension Tensor {
    /// 2-D convolution of an (N, C, H, W) input with an (O, C/groups, kH, kW) weight, as
    /// `torch.nn.functional.conv2d`.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        let g = conv2dGeometry(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        MACCounter.record(g.batch * g.outChannels * g.outH * g.outW * weight.shape[1] * weight.shape[2] * weight.shape[3])
        let recording = GradMode.isEnabled && (node != nil || weight.node != nil || bias?.node != nil)
        // The phase re-layout only outside any gradient recording (see Tensor+PhaseLayout.swift).
        if !GradMode.isEnabled, let y = conv2dOnPhaseLayout(weight: weight, bias: bias, g) { return y }
        if let y = conv2dOnWinogradLayout(weight: weight, bias: bias, g, inference: !recording) { return y }
        let out = Tensor(uninitializedShape: [g.batch, g.outChannels, g.outH, g.outW])
        conv2dForward(g, input: data, weight: weight.data, bias: bias.map { UnsafePointer($0.data) }, output: out.data,
                      inference: !recording)
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        let input = self
        // dX = convᵀ(G, W); dW = G ⋆ X; db = Σ G over (N, H, W)
        return Tensor.differentiable("conv2d", inputs: inputs, output: out) { grad in
            var result: [Tensor?] = [nil, nil]
            if input.requiresGrad {
                let gx = Tensor(uninitializedShape: input.shape)
                conv2dBackwardInput(g, gradOutput: grad.data, weight: weight.data, gradInput: gx.data)
                result[0] = gx
            }
            let needBias = bias?.requiresGrad ?? false
            if weight.requiresGrad || needBias {
                let gw = Tensor(uninitializedShape: weight.shape)
                let gb = needBias ? Tensor(uninitializedShape: [g.outChannels]) : nil
                conv2dBackwardWeight(g, input: input.data, gradOutput: grad.data, gradWeight: gw.data, gradBias: gb?.data)
                result[1] = weight.requiresGrad ? gw : nil
                if let bias { result.append(needBias ? gb!.reshapedRaw(bias.shape) : nil) }
            } else if bias != nil {
                result.append(nil)
            }
            return result
        }
    }

    /// The geometry of `conv2d(weight:bias:…)` on this input, after checking the shapes.
    func conv2dGeometry(weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
                        groups: Int) -> Conv2dGeometry {
        checkShape(rank == 4, "conv2d: input \(shape) is not (N, C, H, W)")
        checkShape(weight.rank == 4, "conv2d: weight \(weight.shape) is not (O, C/groups, kH, kW)")
        checkShape(groups > 0 && shape[1] % groups == 0 && weight.shape[0] % groups == 0 && weight.shape[1] * groups == shape[1],
                   "conv2d: input \(shape) and weight \(weight.shape) do not agree with groups \(groups)")
        if let bias { checkShape(bias.count == weight.shape[0], "conv2d: bias \(bias.shape) does not match weight \(weight.shape)") }
        checkShape(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0 && padding.0 >= 0 && padding.1 >= 0,
                   "conv2d: invalid stride \(stride), padding \(padding) or dilation \(dilation)")
        let g = Conv2dGeometry(batch: shape[0], inChannels: shape[1], height: shape[2], width: shape[3],
                               outChannels: weight.shape[0], kernelH: weight.shape[2], kernelW: weight.shape[3],
                               strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1,
                               dilationH: dilation.0, dilationW: dilation.1, groups: groups)
        checkShape(g.outH > 0 && g.outW > 0, "conv2d: input \(shape) is too small for weight \(weight.shape) (output \(g.outH)×\(g.outW))")
        return g
    }

    /// 1-D convolution of an (N, C, L) input with an (O, C/groups, k) weight.
    public func conv1d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       dilation: Int = 1, groups: Int = 1) -> Tensor {
        checkShape(rank == 3, "conv1d: input \(shape) is not (N, C, L)")
        checkShape(weight.rank == 3, "conv1d: weight \(weight.shape) is not (O, C/groups, k)")
        let y = unsqueezed(2).conv2d(weight: weight.unsqueezed(2), bias: bias, stride: (1, stride),
                                     padding: (0, padding), dilation: (1, dilation), groups: groups)
        return y.squeezed(2)
    }
}
