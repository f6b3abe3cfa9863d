import Foundation
import Kernels

/// Activation functions with PyTorch's gradient conventions (ReLU's gradient at 0 is 0).
extension Tensor {
    public func relu() -> Tensor {
        let out = vectorApply(self, .relu)  // NaN propagates, as PyTorch's
        // d relu = [out > 0] dx (PyTorch's threshold_backward: 0 where out <= 0)
        return Tensor.differentiable("relu", inputs: [self], output: out) { g in
            let dx = Tensor(uninitializedShape: out.shape)
            VectorMath.reluBackward(g.data, out.data, dx.data, count: out.count)
            return [dx]
        }
    }

    public func relu6() -> Tensor { hardtanh(min: 0, max: 6) }

    /// Clamps to `[min, max]`; the gradient passes strictly inside, as PyTorch's hardtanh.
    public func hardtanh(min lo: Float = -1, max hi: Float = 1) -> Tensor {
        let out = mapApply(self) { Swift.min(Swift.max($0, lo), hi) }
        return Tensor.differentiable("hardtanh", inputs: [self], output: out) { g in
            [g * mapApply(self) { ($0 > lo && $0 < hi) ? 1 : 0 }]
        }
    }

    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor {
        let out = mapApply(self) { $0 > 0 ? $0 : $0 * negativeSlope }
        return Tensor.differentiable("leaky_relu", inputs: [self], output: out) { g in
            [g * mapApply(self) { $0 > 0 ? 1 : negativeSlope }]
        }
    }

    public func sigmoid() -> Tensor {
        let out = vectorApply(self, .sigmoid)
        // dσ = σ(1 − σ) dx
        return Tensor.differentiable("sigmoid", inputs: [self], output: out) { g in
            [broadcastApply(g, out, out: out.shape) { g, s in g * s * (1 - s) }]
        }
    }

    public func tanh() -> Tensor {
        // tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)) (vectorised); absolute error ≈ 1e−7 near 0.
        let out = vectorApply(self, .tanh)
        // d tanh = (1 − tanh²) dx
        return Tensor.differentiable("tanh", inputs: [self], output: out) { g in
            [broadcastApply(g, out, out: out.shape) { g, t in g * (1 - t * t) }]
        }
    }

    /// relu6(x + 3) / 6; gradient 1/6 strictly inside (−3, 3).
    public func hardsigmoid() -> Tensor {
        let out = mapApply(self) { Swift.min(Swift.max($0 + 3, 0), 6) / 6 }
        return Tensor.differentiable("hardsigmoid", inputs: [self], output: out) { g in
            [g * mapApply(self) { ($0 > -3 && $0 < 3) ? 1.0 / 6.0 : 0 }]
        }
    }

    /// x · relu6(x + 3) / 6; gradient as PyTorch: 0 up to −3, x/3 + ½ inside (−3, 3), 1 from 3.
    public func hardswish() -> Tensor {
        let out = mapApply(self) { $0 * Swift.min(Swift.max($0 + 3, 0), 6) / 6 }
        return Tensor.differentiable("hardswish", inputs: [self], output: out) { g in
            [g * mapApply(self) { $0 <= -3 ? 0 : ($0 < 3 ? $0 / 3 + 0.5 : 1) }]
        }
    }

    /// GELU, exact (erf) by default or with PyTorch's tanh approximation.
    public func gelu(approximateTanh: Bool = false) -> Tensor {
        if approximateTanh {
            let k = Float((2 / Double.pi).squareRoot())
            let out = mapApply(self) { x in 0.5 * x * (1 + Foundation.tanh(k * (x + 0.044715 * x * x * x))) }
            return Tensor.differentiable("gelu_tanh", inputs: [self], output: out) { g in
                [g * mapApply(self) { x in
                    let inner = k * (x + 0.044715 * x * x * x)
                    let t = Foundation.tanh(inner)
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
                }]
            }
        }
        // x·Φ(x) and, when a gradient will be needed, d gelu = Φ(x) + x·φ(x) in the same pass
        // (vectorised C kernel, Φ to 1e-7 absolute: below Float32 resolution of Φ near 1).
        let out = Tensor(uninitializedShape: shape)
        guard GradMode.isEnabled && requiresGrad else {
            VectorMath.gelu(data, out.data, slope: nil, count: count)
            return out
        }
        let slope = Tensor(uninitializedShape: shape)
        VectorMath.gelu(data, out.data, slope: slope.data, count: count)
        return Tensor.differentiable("gelu", inputs: [self], output: out) { g in [g * slope] }
    }

    /// x · σ(x).
    public func silu() -> Tensor {
        let out = vectorApply(self, .silu)
        // d silu = σ(1 + x(1 − σ))
        return Tensor.differentiable("silu", inputs: [self], output: out) { g in
            [g * broadcastApply(vectorApply(self, .sigmoid), self, out: shape) { s, x in s * (1 + x * (1 - s)) }]
        }
    }

    /// log(1 + exp(βx)) / β, linear where βx > threshold, as PyTorch.
    public func softplus(beta: Float = 1, threshold: Float = 20) -> Tensor {
        let out = mapApply(self) { x in x * beta > threshold ? x : Foundation.log1p(Foundation.exp(x * beta)) / beta }
        return Tensor.differentiable("softplus", inputs: [self], output: out) { g in
            [g * mapApply(self) { x in x * beta > threshold ? 1 : 1 / (1 + Foundation.exp(-x * beta)) }]
        }
    }
}

extension Tensor {
    /// `relu(self + other)` for tensors of one shape in one pass (the residual add of ResNet
    /// blocks): no intermediate sum tensor, one read of each input, one write.
    public func addingReLU(_ other: Tensor) -> Tensor {
        checkShape(shape == other.shape, "add_relu: shapes \(shape) and \(other.shape) differ")
        let out = Tensor(uninitializedShape: shape)
        let a = data, b = other.data, y = out.data
        Threading.parallelFor(count, minChunk: 1 << 15) { r in
            for i in r {
                let s = a[i] + b[i]
                y[i] = s > 0 || s != s ? s : 0   // NaN propagates, as relu
            }
        }
        // d/da = d/db = [out > 0] g (relu's rule on the sum)
        return Tensor.differentiable("add_relu", inputs: [self, other], output: out) { g in
            let dx = Tensor(uninitializedShape: out.shape)
            VectorMath.reluBackward(g.data, out.data, dx.data, count: out.count)
            return [dx, dx]
        }
    }
}
