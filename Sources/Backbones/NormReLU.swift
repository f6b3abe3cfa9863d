import Kernels
import NN
import TensorCore

/// `relu(norm(x))` of a block, in one fused pass when the norm is a constant per-channel affine:
/// FrozenBatchNorm2d always, BatchNorm2d in eval mode when its weight and bias need no gradient
/// (or no tape is recorded). Otherwise the norm, then ReLU. Same numbers as the two steps up to
/// rounding (scale = w/√(var+eps), shift = b − mean·scale, as torchvision's FrozenBatchNorm2d).
func normReLU(_ norm: Module, _ x: Tensor) -> Tensor {
    if ModuleSummary.isRecording { return norm(x).relu() }   // the summary lists every layer
    if let (s, t) = constantAffine(norm) { return x.channelAffineReLU(scale: s, shift: t) }
    return norm(x).relu()
}

/// The (scale, shift) of a norm that is a constant per-channel affine: FrozenBatchNorm2d always,
/// BatchNorm2d in eval mode when its weight and bias need no gradient (or no tape is recorded).
func constantAffine(_ norm: Module) -> ([Float], [Float])? {
    if let f = norm as? FrozenBatchNorm2d {
        return affine(weight: f.weight.value, bias: f.bias.value, mean: f.runningMean.value, variance: f.runningVar.value, eps: f.eps)
    }
    if let bn = norm as? BatchNorm2d, !bn.training, let m = bn.runningMean?.value, let v = bn.runningVar?.value,
       !GradMode.isEnabled || !((bn.weight?.requiresGrad ?? false) || (bn.bias?.requiresGrad ?? false)) {
        return affine(weight: bn.weight?.value, bias: bn.bias?.value, mean: m, variance: v, eps: bn.eps)
    }
    return nil
}

/// `norm(conv(x))` (+ `residual`) (then ReLU) as one convolution whose epilogue applies the norm,
/// the sum and the ReLU to each output tile (`Tensor.conv2d(…, scale:shift:residual:relu:)`), when no
/// gradient is recorded at all (inference: with a tape, even frozen layers keep the separate steps,
/// whose rounding the training-mode parity fixtures were made with), the norm is a constant affine
/// and the convolution would not be split into row halves (`conv3x3RowSplit`). nil otherwise.
func fusedConvNorm(_ conv: Conv2d, _ norm: Module, _ x: Tensor, residual: Tensor? = nil, relu: Bool) -> Tensor? {
    guard ConvolutionPaths.convEpilogue, !GradMode.isEnabled, !ModuleSummary.isRecording, !splitsIntoRowHalves(conv, x),
          let (s, t) = constantAffine(norm) else { return nil }
    return x.conv2d(weight: conv.weight.value, bias: conv.bias?.value, stride: conv.stride, padding: conv.padding,
                    dilation: conv.dilation, groups: conv.groups, scale: s, shift: t, residual: residual, relu: relu)
}

private func affine(weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float) -> ([Float], [Float]) {
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

/// A block's identity branch: `downsample(x)` (its conv and norm as one convolution where
/// `fusedConvNorm` applies: torchvision's Sequential(conv1x1, norm)), or x.
func downsampled(_ downsample: Module?, _ x: Tensor) -> Tensor {
    guard let downsample else { return x }
    if let s = downsample as? Sequential, s.layers.count == 2, let conv = s.layers[0] as? Conv2d,
       let y = fusedConvNorm(conv, s.layers[1], x, relu: false) {
        return y
    }
    return downsample(x)
}
