import Backbones
import NN
import TensorCore

/// A `Sequential` whose first layer is a Conv2d, the rest applied after it (the FPN's and the RPN
/// head's Conv2dNormActivation blocks), with the first convolution through `conv3x3RowSplit`.
func applyRowSplit(_ block: Module, _ x: Tensor) -> Tensor {
    guard let s = block as? Sequential, let conv = s.layers.first as? Conv2d else { return block(x) }
    return s.layers.dropFirst().reduce(conv3x3RowSplit(conv, x)) { $1($0) }
}

/// Inference (`ConvNormFusion.allowed`): a block that is one convolution with a bias (`Sequential(conv)`,
/// or `Sequential(conv, ReLU)` with `relu`), plus `residual`, as one convolution with an epilogue
/// (`Tensor.conv2d(…, scale:shift:residual:relu:)`); nil otherwise, or where `conv3x3RowSplit`
/// would split it.
func fusedConv(_ block: Module, _ x: Tensor, residual: Tensor? = nil, relu: Bool) -> Tensor? {
    guard ConvNormFusion.allowed, let s = block as? Sequential, let conv = s.layers.first as? Conv2d,
          s.layers.count == (relu ? 2 : 1), !relu || s.layers[1] is ReLU, !splitsIntoRowHalves(conv, x) else { return nil }
    let c = conv.weight.shape[0]
    return x.conv2d(weight: conv.weight.value, stride: conv.stride, padding: conv.padding, dilation: conv.dilation,
                    groups: conv.groups, scale: [Float](repeating: 1, count: c),
                    shift: conv.bias.map { $0.value.scalars } ?? [Float](repeating: 0, count: c), residual: residual, relu: relu)
}
