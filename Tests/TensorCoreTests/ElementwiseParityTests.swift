import TensorCore
import TestSupport
import Testing

@Test("arithmetic and activations match PyTorch (values and gradients)")
func elementwiseParity() throws {
    try replay("elementwise", [
        "add_bcast": { $0[0] + $0[1] },
        "sub_bcast": { $0[0] - $0[1] },
        "mul_bcast": { $0[0] * $0[1] },
        "div_bcast": { $0[0] / $0[1] },
        "scalar_ops": { x in (2.5 - x[0]) * 3 + x[0] / 4 - 1 / (x[0] * x[0] + 1) },
        "neg": { -$0[0] },
        "pow_scalar": { $0[0].pow(3) },
        "pow_half": { $0[0].pow(0.5) },
        "pow_tensor": { $0[0].pow($0[1]) },
        "exp": { $0[0].exp() },
        "log": { $0[0].log() },
        "sqrt": { $0[0].sqrt() },
        "rsqrt": { $0[0].rsqrt() },
        "abs": { $0[0].abs() },
        "atan": { $0[0].atan() },
        "sin_cos": { $0[0].sin() * $0[0].cos() },
        "clamp": { $0[0].clamp(min: -0.5, max: 0.7) },
        "clamp_min": { $0[0].clamp(min: 0.1) },
        "maximum_ties": { $0[0].maximum($0[1]) },
        "minimum_bcast": { $0[0].minimum($0[1]) },
        "relu": { $0[0].relu() },
        "relu6": { $0[0].relu6() },
        "leaky_relu": { $0[0].leakyRelu(negativeSlope: 0.2) },
        "sigmoid": { $0[0].sigmoid() },
        "tanh": { $0[0].tanh() },
        "hardsigmoid": { $0[0].hardsigmoid() },
        "hardswish": { $0[0].hardswish() },
        "gelu": { $0[0].gelu() },
        "gelu_tanh": { $0[0].gelu(approximateTanh: true) },
        "silu": { $0[0].silu() },
        "softplus": { $0[0].softplus(beta: 2, threshold: 5) },
        "where": { Tensor.where($0[0].gt(0), $0[1], $0[2]) },
        "masked_fill": { $0[0].maskedFill($0[1].gt(0), value: -2) },
    ])
}
