import Kernels
import TensorCore

/// Inference fusion of a convolution with the constant norm after it (and a residual sum and ReLU):
/// one `Tensor.conv2d(…, scale:shift:residual:relu:)`, whose epilogue applies them to each output tile
/// (Kernels/ConvEpilogue.swift), instead of passes over the whole map. `Sequential` fuses its
/// `Conv2d, BatchNorm2d/FrozenBatchNorm2d[, ReLU]` runs this way; Backbones' blocks call `fuse`
/// (through `fusedConvNorm`) with their residuals.
public enum ConvNormFusion {
    /// Whether fusion may run now: no gradient recorded at all (with a tape even frozen layers keep
    /// the separate steps, whose rounding the training-mode parity fixtures were made with), no
    /// summary listing every layer, no observer of module outputs (it would miss the norm's), and
    /// `ConvolutionPaths.convEpilogue` (`AZOO_CONV_EPILOGUE=0` turns it off).
    public static var allowed: Bool {
        ConvolutionPaths.convEpilogue && !GradMode.isEnabled && !ModuleSummary.isRecording && ForwardObserver.current == nil
    }

    /// The (scale, shift) of a norm that is a constant per-channel affine: FrozenBatchNorm2d always,
    /// BatchNorm2d in eval mode when its weight and bias need no gradient (or no tape is recorded).
    /// scale = w/√(var + eps), shift = b − mean·scale, as torchvision's FrozenBatchNorm2d.
    public static func constantAffine(_ norm: Module) -> ([Float], [Float])? {
        if let f = norm as? FrozenBatchNorm2d {
            return affine(weight: f.weight.value, bias: f.bias.value, mean: f.runningMean.value, variance: f.runningVar.value, eps: f.eps)
        }
        if let bn = norm as? BatchNorm2d, !bn.training, let m = bn.runningMean?.value, let v = bn.runningVar?.value,
           !GradMode.isEnabled || !((bn.weight?.requiresGrad ?? false) || (bn.bias?.requiresGrad ?? false)) {
            return affine(weight: bn.weight?.value, bias: bn.bias?.value, mean: m, variance: v, eps: bn.eps)
        }
        return nil
    }

    /// `norm(conv(x))` (+ `residual`) (then ReLU) as one convolution when `allowed` and the norm is a
    /// constant affine; nil otherwise.
    public static func fuse(_ conv: Conv2d, _ norm: Module, _ x: Tensor, residual: Tensor? = nil, relu: Bool) -> Tensor? {
        guard allowed, let (s, t) = constantAffine(norm) else { return nil }
        return x.conv2d(weight: conv.weight.value, bias: conv.bias?.value, stride: conv.stride, padding: conv.padding,
                        dilation: conv.dilation, groups: conv.groups, scale: s, shift: t, residual: residual, relu: relu)
    }

    private static func affine(weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float) -> ([Float], [Float]) {
        let c = mean.count
        var s = [Float](repeating: 0, count: c), t = s
        for i in 0..<c {
            let inv = 1 / (Double(variance.data[i]) + Double(eps)).squareRoot()
            let sc = Double(weight?.data[i] ?? 1) * inv
            s[i] = Float(sc)
            t[i] = Float(Double(bias?.data[i] ?? 0) - Double(mean.data[i]) * sc)
        }
        return (s, t)
    }
}
