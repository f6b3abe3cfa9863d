import Kernels
import NN
import TensorCore

/// Runs a 3×3, stride-1, padding-1 convolution of a single image as a batch of its two row halves
/// (each with its one-row halo), so that the engine's Winograd path — which needs at least one
/// image per worker or, for one image, two blocks of tile rows per worker — takes it. The result is
/// the same convolution (rounding aside); differentiable. Other convolutions, batches > 1, small maps
/// and, when no gradient is recorded, images that Winograd takes whole go to `conv` unchanged (a
/// recorded one is still split: Winograd's weight gradient needs an image per worker; Faster R-CNN's
/// 800×1067 batch-1 training step ran 2.4 → 3.1 s without the split).
public func conv3x3RowSplit(_ conv: Conv2d, _ x: Tensor) -> Tensor {
    guard splitsIntoRowHalves(conv, x) else { return conv(x) }
    let h = x.shape[2], top = (h + 1) / 2, rest = h - top
    let p = x.padded([1, 1, 1, 1])                                   // (1, C, H + 2, W + 2)
    let a = p.slice(axis: 2, start: 0, end: top + 2)                 // output rows 0..<top
    var b = p.slice(axis: 2, start: top, end: h + 2)                 // output rows top..<h
    if rest < top { b = b.padded([0, 0, 0, top - rest]) }           // same height (one row to crop)
    let y = Tensor.cat([a, b], axis: 0).conv2d(weight: conv.weight.value, bias: conv.bias?.value, stride: (1, 1),
                                               padding: (0, 0), dilation: (1, 1), groups: 1)
    let lower = y.slice(axis: 0, start: 1, end: 2)
    return Tensor.cat([y.slice(axis: 0, start: 0, end: 1), rest < top ? lower.slice(axis: 2, start: 0, end: rest) : lower], axis: 2)
}

/// Whether `conv3x3RowSplit` splits this convolution of `x` (else it runs it whole).
public func splitsIntoRowHalves(_ conv: Conv2d, _ x: Tensor) -> Bool {
    guard x.rank == 4, x.shape[0] == 1, x.shape[2] >= 16, x.shape[3] >= 8, conv.weight.shape[2] == 3, conv.weight.shape[3] == 3,
          conv.stride == (1, 1), conv.padding == (1, 1), conv.dilation == (1, 1), conv.groups == 1 else { return false }
    let recording = GradMode.isEnabled && (x.requiresGrad || conv.weight.value.requiresGrad)
    let whole = Conv2dGeometry(batch: 1, inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
                               outChannels: conv.weight.shape[0], kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1,
                               dilationH: 1, dilationW: 1, groups: 1)
    return recording || !whole.usesWinograd
}
