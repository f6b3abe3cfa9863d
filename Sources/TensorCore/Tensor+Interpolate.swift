import Kernels

/// Interpolation modes of `interpolate`.
public enum InterpolationMode: String, Sendable, CaseIterable {
    case nearest, bilinear
}

extension Tensor {
    /// Resizes the last two axes of an (N, C, H, W) tensor, as `F.interpolate`. Give `size`
    /// or `scaleFactor` (output = ⌊in·scale⌋). Source positions follow the output/input size
    /// ratio (PyTorch with `recompute_scale_factor=True`); for integer scales this equals the
    /// scale-factor form.
    public func interpolate(size: (Int, Int)? = nil, scaleFactor: (Float, Float)? = nil,
                            mode: InterpolationMode = .nearest, alignCorners: Bool = false) -> Tensor {
        checkShape(rank == 4 || rank == 3, "interpolate: input \(shape) is not (N, C, H, W)")
        checkShape((size == nil) != (scaleFactor == nil), "interpolate: give exactly one of size and scaleFactor")
        let h = shape[rank - 2], w = shape[rank - 1]
        let (oh, ow) = size ?? (Int((Float(h) * scaleFactor!.0).rounded(.down)), Int((Float(w) * scaleFactor!.1).rounded(.down)))
        checkShape(oh > 0 && ow > 0, "interpolate: output size (\(oh), \(ow)) must be positive for input \(shape)")
        let p = count / Swift.max(h * w, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast(2)) + [oh, ow])
        switch mode {
        case .nearest: upsampleNearest2dForward(planes: p, inH: h, inW: w, outH: oh, outW: ow, input: data, output: out.data)
        case .bilinear: upsampleBilinear2dForward(planes: p, inH: h, inW: w, outH: oh, outW: ow, alignCorners: alignCorners, input: data, output: out.data)
        }
        let inShape = shape
        return Tensor.differentiable("interpolate_\(mode.rawValue)", inputs: [self], output: out) { grad in
            let gx = Tensor(uninitializedShape: inShape)
            switch mode {
            case .nearest: upsampleNearest2dBackward(planes: p, inH: h, inW: w, outH: oh, outW: ow, gradOutput: grad.data, gradInput: gx.data)
            case .bilinear: upsampleBilinear2dBackward(planes: p, inH: h, inW: w, outH: oh, outW: ow, alignCorners: alignCorners, gradOutput: grad.data, gradInput: gx.data)
            }
            return [gx]
        }
    }
}
