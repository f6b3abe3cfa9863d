import Foundation
import TensorCore

/// Weight initialisers with PyTorch's formulas (`torch.nn.init`), drawing from the task's
/// seeded `RandomGenerator`.
public enum Init {
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// (fan_in, fan_out) of a weight shape as PyTorch computes them.
    public static func fans(_ shape: [Int]) -> (Int, Int) {
        precondition(shape.count >= 2, "Init: fan in/out need at least 2 dimensions, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// The recommended gain of `nonlinearity` (`relu`, `leaky_relu` with `a`, `tanh`, `sigmoid`, `linear`).
    public static func gain(_ nonlinearity: String, a: Float = 0.01) -> Float {
        switch nonlinearity {
        case "relu": return Float(2).squareRoot()
        case "leaky_relu": return (2 / (1 + a * a)).squareRoot()
        case "tanh": return 5.0 / 3
        case "selu": return 0.75
        default: return 1
        }
    }

    public static func uniform(_ p: Parameter, low: Float, high: Float) {
        p.assign(Tensor.rand(p.shape, low: low, high: high))
    }

    public static func normal(_ p: Parameter, mean: Float = 0, std: Float = 1) {
        p.assign(Tensor.randn(p.shape) * std + mean)
    }

    public static func constant(_ p: Parameter, _ value: Float) { p.assign(Tensor.full(value, shape: p.shape)) }
    public static func zeros(_ p: Parameter) { constant(p, 0) }
    public static func ones(_ p: Parameter) { constant(p, 1) }

    public static func kaimingUniform(_ p: Parameter, a: Float = 0, mode: FanMode = .fanIn, nonlinearity: String = "leaky_relu") {
        let (fi, fo) = fans(p.shape)
        let bound = gain(nonlinearity, a: a) * (3 / Float(mode == .fanIn ? fi : fo)).squareRoot()
        uniform(p, low: -bound, high: bound)
    }

    public static func kaimingNormal(_ p: Parameter, a: Float = 0, mode: FanMode = .fanIn, nonlinearity: String = "leaky_relu") {
        let (fi, fo) = fans(p.shape)
        normal(p, std: gain(nonlinearity, a: a) / Float(mode == .fanIn ? fi : fo).squareRoot())
    }

    public static func xavierUniform(_ p: Parameter, gain g: Float = 1) {
        let (fi, fo) = fans(p.shape)
        let bound = g * (6 / Float(fi + fo)).squareRoot()
        uniform(p, low: -bound, high: bound)
    }

    public static func xavierNormal(_ p: Parameter, gain g: Float = 1) {
        let (fi, fo) = fans(p.shape)
        normal(p, std: g * (2 / Float(fi + fo)).squareRoot())
    }

    /// PyTorch's default for Linear/Conv: kaiming_uniform(a=√5) weight, U(±1/√fan_in) bias.
    public static func defaultLayer(weight: Parameter, bias: Parameter?) {
        kaimingUniform(weight, a: Float(5).squareRoot())
        if let bias {
            let fi = fans(weight.shape).0
            let bound = fi > 0 ? 1 / Float(fi).squareRoot() : 0
            uniform(bias, low: -bound, high: bound)
        }
    }
}
