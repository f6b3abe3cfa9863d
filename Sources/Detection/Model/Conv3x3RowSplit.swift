import Backbones
import NN
import TensorCore

/// A `Sequential` whose first layer is a Conv2d, the rest applied after it (the FPN's and the RPN
/// head's Conv2dNormActivation blocks), with the first convolution through `conv3x3RowSplit`.
func applyRowSplit(_ block: Module, _ x: Tensor) -> Tensor {
    guard let s = block as? Sequential, let conv = s.layers.first as? Conv2d else { return block(x) }
    return s.layers.dropFirst().reduce(conv3x3RowSplit(conv, x)) { $1($0) }
}
