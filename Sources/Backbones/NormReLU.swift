import NN
import TensorCore

/// `relu(norm(x))` of a block, in one fused pass when the norm is a constant per-channel affine:
/// FrozenBatchNorm2d always, BatchNorm2d in eval mode when its weight and bias need no gradient
/// (or no tape is recorded). Otherwise the norm, then ReLU. Same numbers as the two steps up to
/// rounding (scale = w/√(var+eps), shift = b − mean·scale, as torchvision's FrozenBatchNorm2d).
func normReLU(_ norm: Module, _ x: Tensor) -> Tensor {
    if ModuleSummary.isRecording { return norm(x).relu() }   // the summary lists every layer
    if let f = norm as? FrozenBatchNorm2d {
        let (s, t) = affine(weight: f.weight.value, bias: f.bias.value, mean: f.runningMean.value, variance: f.runningVar.value, eps: f.eps)
        return x.channelAffineReLU(scale: s, shift: t)
    }
    if let bn = norm as? BatchNorm2d, !bn.training, let m = bn.runningMean?.value, let v = bn.runningVar?.value,
       !GradMode.isEnabled || !((bn.weight?.requiresGrad ?? false) || (bn.bias?.requiresGrad ?? false)) {
        let (s, t) = affine(weight: bn.weight?.value, bias: bn.bias?.value, mean: m, variance: v, eps: bn.eps)
        return x.channelAffineReLU(scale: s, shift: t)
    }
    return norm(x).relu()
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
