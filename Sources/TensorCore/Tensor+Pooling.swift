import Kernels

/// Max/average pooling (1-D and 2-D) and adaptive pooling, as torch.nn.functional.
extension Tensor {
    /// Views an (N, C, H, W) or (C, H, W) tensor as planes; returns (planes, H, W, leading shape).
    private func planes(_ op: String) -> (Int, Int, Int, [Int]) {
        checkShape(rank == 3 || rank == 4, "\(op): input \(shape) is not (N, C, H, W) or (C, H, W)")
        let h = shape[rank - 2], w = shape[rank - 1]
        return (count / Swift.max(h * w, 1), h, w, Array(shape.dropLast(2)))
    }

    public func maxPool2d(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
        let (p, h, w, lead) = planes("max_pool2d")
        let s = stride ?? kernelSize
        checkShape(padding.0 * 2 <= kernelSize.0 && padding.1 * 2 <= kernelSize.1,
                   "max_pool2d: padding \(padding) should be at most half of kernel size \(kernelSize)")
        let g = Pool2dGeometry(planes: p, height: h, width: w, kernelH: kernelSize.0, kernelW: kernelSize.1,
                               strideH: s.0, strideW: s.1, padH: padding.0, padW: padding.1,
                               dilationH: dilation.0, dilationW: dilation.1, ceilMode: ceilMode)
        checkShape(g.outH > 0 && g.outW > 0, "max_pool2d: input \(shape) is too small for kernel \(kernelSize)")
        let out = Tensor(uninitializedShape: lead + [g.outH, g.outW])
        guard GradMode.isEnabled, node != nil else {   // no gradient: no indices
            maxPool2dForward(g, input: data, output: out.data, indices: nil)
            return out
        }
        var indices = [Int32](repeating: 0, count: out.count)
        indices.withUnsafeMutableBufferPointer { maxPool2dForward(g, input: data, output: out.data, indices: $0.baseAddress!) }
        let inShape = shape
        // The gradient goes to the (first) argmax of each window.
        return Tensor.differentiable("max_pool2d", inputs: [self], output: out) { grad in
            let gx = Tensor(uninitializedShape: inShape)
            indices.withUnsafeBufferPointer { maxPool2dBackward(g, gradOutput: grad.data, indices: $0.baseAddress!, gradInput: gx.data) }
            return [gx]
        }
    }

    public func avgPool2d(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
        let (p, h, w, lead) = planes("avg_pool2d")
        let s = stride ?? kernelSize
        checkShape(padding.0 * 2 <= kernelSize.0 && padding.1 * 2 <= kernelSize.1,
                   "avg_pool2d: padding \(padding) should be at most half of kernel size \(kernelSize)")
        let g = Pool2dGeometry(planes: p, height: h, width: w, kernelH: kernelSize.0, kernelW: kernelSize.1,
                               strideH: s.0, strideW: s.1, padH: padding.0, padW: padding.1,
                               dilationH: 1, dilationW: 1, ceilMode: ceilMode,
                               countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        checkShape(g.outH > 0 && g.outW > 0, "avg_pool2d: input \(shape) is too small for kernel \(kernelSize)")
        let out = Tensor(uninitializedShape: lead + [g.outH, g.outW])
        avgPool2dForward(g, input: data, output: out.data)
        let inShape = shape
        return Tensor.differentiable("avg_pool2d", inputs: [self], output: out) { grad in
            let gx = Tensor(uninitializedShape: inShape)
            avgPool2dBackward(g, gradOutput: grad.data, gradInput: gx.data)
            return [gx]
        }
    }

    /// 1-D max pooling of (N, C, L).
    public func maxPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) -> Tensor {
        checkShape(rank == 3 || rank == 2, "max_pool1d: input \(shape) is not (N, C, L) or (C, L)")
        return unsqueezed(-2).maxPool2d(kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                                        padding: (0, padding), dilation: (1, dilation), ceilMode: ceilMode).squeezed(-2)
    }

    /// 1-D average pooling of (N, C, L).
    public func avgPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                          countIncludePad: Bool = true) -> Tensor {
        checkShape(rank == 3 || rank == 2, "avg_pool1d: input \(shape) is not (N, C, L) or (C, L)")
        return unsqueezed(-2).avgPool2d(kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                                        padding: (0, padding), ceilMode: ceilMode, countIncludePad: countIncludePad).squeezed(-2)
    }

    /// Adaptive average pooling to `outputSize`; a `nil` extent keeps the input's.
    public func adaptiveAvgPool2d(outputSize: (Int?, Int?)) -> Tensor {
        let (p, h, w, lead) = planes("adaptive_avg_pool2d")
        let oh = outputSize.0 ?? h, ow = outputSize.1 ?? w
        checkShape(oh > 0 && ow > 0, "adaptive_avg_pool2d: output size \(outputSize) must be positive")
        let out = Tensor(uninitializedShape: lead + [oh, ow])
        adaptiveAvgPool2dForward(planes: p, inH: h, inW: w, outH: oh, outW: ow, input: data, output: out.data)
        let inShape = shape
        return Tensor.differentiable("adaptive_avg_pool2d", inputs: [self], output: out) { grad in
            let gx = Tensor(uninitializedShape: inShape)
            adaptiveAvgPool2dBackward(planes: p, inH: h, inW: w, outH: oh, outW: ow, gradOutput: grad.data, gradInput: gx.data)
            return [gx]
        }
    }

    public func adaptiveAvgPool2d(_ size: Int) -> Tensor { adaptiveAvgPool2d(outputSize: (size, size)) }

    /// Adaptive max pooling to `outputSize`; a `nil` extent keeps the input's.
    public func adaptiveMaxPool2d(outputSize: (Int?, Int?)) -> Tensor {
        let (p, h, w, lead) = planes("adaptive_max_pool2d")
        let oh = outputSize.0 ?? h, ow = outputSize.1 ?? w
        checkShape(oh > 0 && ow > 0, "adaptive_max_pool2d: output size \(outputSize) must be positive")
        let out = Tensor(uninitializedShape: lead + [oh, ow])
        var indices = [Int32](repeating: 0, count: out.count)
        indices.withUnsafeMutableBufferPointer {
            adaptiveMaxPool2dForward(planes: p, inH: h, inW: w, outH: oh, outW: ow, input: data, output: out.data, indices: $0.baseAddress!)
        }
        let inShape = shape
        return Tensor.differentiable("adaptive_max_pool2d", inputs: [self], output: out) { grad in
            let gx = Tensor(uninitializedShape: inShape)
            indices.withUnsafeBufferPointer {
                adaptiveMaxPool2dBackward(planes: p, inH: h, inW: w, outH: oh, outW: ow, gradOutput: grad.data, indices: $0.baseAddress!, gradInput: gx.data)
            }
            return [gx]
        }
    }

    public func adaptiveMaxPool2d(_ size: Int) -> Tensor { adaptiveMaxPool2d(outputSize: (size, size)) }
}
