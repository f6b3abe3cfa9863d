import NN
import TensorCore

/// Dynamic convolution: K kernels aggregated per example by a softmax attention with temperature (catalogue D29).
///
/// Paper: Chen, Dai, Liu, Chen, Yuan, Liu, "Dynamic Convolution: Attention over Convolution Kernels", CVPR 2020,
/// https://arxiv.org/abs/1912.03458
/// ```
/// π = softmax(fc2(ReLU(fc1(GAP(X)))) / temperature)        (N, K), fc1/fc2 1×1 convs without bias
/// W̃_n = Σ_k π_{n,k} W_k,  b̃_n = Σ_k π_{n,k} b_k
/// Y_n = W̃_n ⋆ X_n + b̃_n
/// ```
/// Shapes: (N, in_planes, H, W) → (N, out_planes, H', W'), H', W' as a Conv2d with these arguments.
/// State-dict keys: `weight` (K, out, in/groups, k, k), `bias` (K, out) when bias, `attention.fc1.weight`
/// (hidden, in, 1, 1), `attention.fc2.weight` (K, hidden, 1, 1); hidden = int(in_planes·ratio), or K when in_planes = 3.
/// Reference: official kaijieshi7/Dynamic-convolution-Pytorch `dynamic_conv.py` `Dynamic_conv2d` + `attention2d`
/// (temperature ≡ 1 mod 3 as its annealing schedule asserts; `updateTemperature()` steps it by 3 down to 1).
/// Deviation: the reference views the aggregated kernel as (N·O, in_planes, k, k), which fails for groups > 1; we
/// use in_planes / groups (its weight's own shape).
/// Deviation: the reference leaves `bias` uninitialised (`torch.Tensor`); we start it at zero.
/// The per-example kernels run as one grouped convolution with groups = N·groups (`Tensor.perExampleConv2d`).
public final class DynamicConv2d: Module, @unchecked Sendable {
    /// The kernel attention: softmax over K of a two-layer 1×1-conv MLP on the pooled input, divided by temperature.
    public final class Attention2d: Module, @unchecked Sendable {
        public let fc1: Conv2d
        public let fc2: Conv2d
        public private(set) var temperature: Int

        public init(inPlanes: Int, ratios: Double, k: Int, temperature: Int) {
            precondition(temperature % 3 == 1, "Attention2d: temperature \(temperature) must be 1 mod 3")
            let hidden = inPlanes != 3 ? Int(Double(inPlanes) * ratios) : k
            fc1 = Conv2d(inChannels: inPlanes, outChannels: hidden, kernelSize: 1, bias: false)
            fc2 = Conv2d(inChannels: hidden, outChannels: k, kernelSize: 1, bias: false)
            self.temperature = temperature
            super.init()
            Init.kaimingNormal(fc1.weight, mode: .fanOut, nonlinearity: "relu")
            Init.kaimingNormal(fc2.weight, mode: .fanOut, nonlinearity: "relu")
        }

        /// (N, C, H, W) → (N, K) attention weights.
        public override func forward(_ x: Tensor) -> Tensor {
            let n = x.shape[0], c = x.shape[1]
            let pooled = x.mean(axes: [2, 3]).reshaped([n, c, 1, 1])
            let logits = fc2(fc1(pooled).relu()).reshaped([n, -1])
            return (logits / Float(temperature)).softmax(axis: 1)
        }

        /// The reference's annealing step: temperature − 3 until it reaches 1.
        public func updateTemperature() { if temperature != 1 { temperature -= 3 } }
    }

    public let weight: Parameter
    public let bias: Parameter?
    public let attention: Attention2d
    public let inPlanes: Int, outPlanes: Int, kernelSize: Int, stride: Int, padding: Int, dilation: Int, groups: Int, k: Int

    public init(inPlanes: Int, outPlanes: Int, kernelSize: Int, ratio: Double = 0.25, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, k: Int = 4, temperature: Int = 34) {
        precondition(inPlanes % groups == 0 && outPlanes % groups == 0,
                     "DynamicConv2d: planes \(inPlanes)→\(outPlanes) not divisible by groups \(groups)")
        self.inPlanes = inPlanes; self.outPlanes = outPlanes; self.kernelSize = kernelSize; self.stride = stride
        self.padding = padding; self.dilation = dilation; self.groups = groups; self.k = k
        attention = Attention2d(inPlanes: inPlanes, ratios: ratio, k: k, temperature: temperature)
        weight = Parameter(Tensor.zeros([k, outPlanes, inPlanes / groups, kernelSize, kernelSize]))
        self.bias = bias ? Parameter(Tensor.zeros([k, outPlanes])) : nil
        super.init()
        // kaiming_uniform_(weight[i]) per kernel (a = 0): U(±√(6 / fan_in)), fan_in = in/groups·k·k.
        let bound = (6 / Float(inPlanes / groups * kernelSize * kernelSize)).squareRoot()
        Init.uniform(weight, low: -bound, high: bound)
    }

    public func updateTemperature() { attention.updateTemperature() }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[1] == inPlanes, "DynamicConv2d: expected an (N, \(inPlanes), H, W) input, got \(x.shape)")
        let pi = attention(x)
        return x.perExampleConv2d(mixing: pi, weight: weight.value.reshaped([k, -1]), bias: bias?.value,
                                  kernelShape: [outPlanes, inPlanes / groups, kernelSize, kernelSize],
                                  stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation),
                                  groups: groups)
    }
}
