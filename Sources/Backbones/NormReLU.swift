import NN
import TensorCore

/// `relu(norm(x))` of a block, in one fused pass when the norm is a constant per-channel affine:
/// FrozenBatchNorm2d always, BatchNorm2d in eval mode when its weight and bias need no gradient
/// (or no tape is recorded). Otherwise a BatchNorm as `BatchNormBase.forwardReLU` (one op, the
/// same bits as the two steps), any other norm, then ReLU. Same numbers as the two steps up to
/// rounding (scale = w/√(var+eps), shift = b − mean·scale, as torchvision's FrozenBatchNorm2d).
func normReLU(_ norm: Module, _ x: Tensor) -> Tensor {
    if ModuleSummary.isRecording { return norm(x).relu() }   // the summary lists every layer
    if let (s, t) = ConvNormFusion.constantAffine(norm) { return x.channelAffineReLU(scale: s, shift: t) }
    if let bn = norm as? BatchNormBase { return bn.forwardReLU(x) }
    return norm(x).relu()
}

/// `relu(norm(x) + residual)`, a block's last norm, shortcut sum and ReLU: one op for a BatchNorm
/// (`BatchNormBase.forwardAddReLU`, the same bits as the steps), the steps for any other norm.
func normAddReLU(_ norm: Module, _ x: Tensor, _ residual: Tensor) -> Tensor {
    if let bn = norm as? BatchNormBase { return bn.forwardAddReLU(x, residual: residual) }
    return norm(x).addingReLU(residual)
}

/// `norm(conv(x))` (+ `residual`) (then ReLU) as one convolution whose epilogue applies the norm,
/// the sum and the ReLU to each output tile (`Tensor.conv2d(…, scale:shift:residual:relu:)`), when no
/// gradient is recorded at all (inference: with a tape, even frozen layers keep the separate steps,
/// whose rounding the training-mode parity fixtures were made with), the norm is a constant affine
/// and the convolution would not be split into row halves (`conv3x3RowSplit`). nil otherwise.
func fusedConvNorm(_ conv: Conv2d, _ norm: Module, _ x: Tensor, residual: Tensor? = nil, relu: Bool) -> Tensor? {
    guard !splitsIntoRowHalves(conv, x) else { return nil }
    return ConvNormFusion.fuse(conv, norm, x, residual: residual, relu: relu)
}

/// A block's identity branch: `downsample(x)` (torchvision's Sequential(conv1x1, norm), which
/// `Sequential` runs as one convolution for inference), or x.
func downsampled(_ downsample: Module?, _ x: Tensor) -> Tensor { downsample.map { $0(x) } ?? x }
