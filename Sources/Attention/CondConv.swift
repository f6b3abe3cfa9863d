import Kernels
import NN
import TensorCore

/// CondConv: a convolution whose kernel is a per-example mixture of expert kernels (catalogue D28).
///
/// Paper: Yang, Bender, Le, Ngiam, "CondConv: Conditionally Parameterized Convolutions for Efficient Inference",
/// NeurIPS 2019, https://arxiv.org/abs/1904.04971
/// ```
/// α = σ(W_r · GAP(X) + b_r)                         (N, num_experts), routing_fn
/// W_n = Σ_i α_{n,i} W_i,  b_n = Σ_i α_{n,i} b_i      per example
/// Y_n = W_n ⋆ X_n + b_n                              (stride, padding, dilation, groups as a Conv2d)
/// ```
/// Shapes: (N, in_channels, H, W) → (N, out_channels, H', W'), H', W' as the Conv2d with these arguments.
/// State-dict keys: `routing_fn.weight` (num_experts, in), `routing_fn.bias`, `conv.weight`
/// (num_experts, out·in/groups·kh·kw), `conv.bias` (num_experts, out) when bias.
/// Reference: timm 1.0.31 `timm/layers/cond_conv2d.py` `CondConv2d` (after the official TensorFlow
/// `condconv_layers.py`) with the routing of timm's `CondConvResidual` (`_efficientnet_blocks.py`):
/// `sigmoid(routing_fn(adaptive_avg_pool2d(x, 1).flatten(1)))`. padding None is timm's default `''`:
/// symmetric `((stride − 1) + dilation·(k − 1)) // 2`.
/// The per-example kernels run as one grouped convolution with groups = N·groups on the (1, N·C, H, W) view,
/// as timm does (`Tensor.perExampleConv2d`).
public final class CondConv: Module, @unchecked Sendable {
    /// timm's CondConv2d: expert kernels flattened per expert; `callAsFunction(_:routingWeights:)`.
    public final class CondConv2d: Module, @unchecked Sendable {
        public let weight: Parameter
        public let bias: Parameter?
        public let inChannels: Int, outChannels: Int, kernelSize: (Int, Int)
        public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int, numExperts: Int

        public init(inChannels: Int, outChannels: Int, kernelSize: Int = 3, stride: Int = 1, padding: Int? = nil,
                    dilation: Int = 1, groups: Int = 1, bias: Bool = false, numExperts: Int = 4) {
            precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                         "CondConv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
            let p = padding ?? ((stride - 1) + dilation * (kernelSize - 1)) / 2
            self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = (kernelSize, kernelSize)
            self.stride = (stride, stride); self.padding = (p, p); self.dilation = (dilation, dilation)
            self.groups = groups; self.numExperts = numExperts
            let fanIn = inChannels / groups * kernelSize * kernelSize
            weight = Parameter(Tensor.zeros([numExperts, outChannels * fanIn]))
            self.bias = bias ? Parameter(Tensor.zeros([numExperts, outChannels])) : nil
            super.init()
            // timm: kaiming_uniform(a=√5) per expert kernel and U(±1/√fan_in) bias: both U(±1/√fan_in).
            let bound = 1 / Float(fanIn).squareRoot()
            Init.uniform(weight, low: -bound, high: bound)
            if let b = self.bias { Init.uniform(b, low: -bound, high: bound) }
        }

        public func callAsFunction(_ x: Tensor, routingWeights: Tensor) -> Tensor {
            x.perExampleConv2d(mixing: routingWeights, weight: weight.value, bias: bias?.value,
                               kernelShape: [outChannels, inChannels / groups, kernelSize.0, kernelSize.1],
                               stride: stride, padding: padding, dilation: dilation, groups: groups)
        }
    }

    public let routingFn: Linear
    public let conv: CondConv2d

    public init(inChannels: Int = 64, outChannels: Int = 64, kernelSize: Int = 3, stride: Int = 1, padding: Int? = nil,
                dilation: Int = 1, groups: Int = 1, bias: Bool = false, numExperts: Int = 4) {
        routingFn = Linear(inFeatures: inChannels, outFeatures: numExperts)
        conv = CondConv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                          padding: padding, dilation: dilation, groups: groups, bias: bias, numExperts: numExperts)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[1] == conv.inChannels,
                   "CondConv: expected an (N, \(conv.inChannels), H, W) input, got \(x.shape)")
        let pooled = x.mean(axes: [2, 3])                  // (N, C)
        return conv(x, routingWeights: routingFn(pooled).sigmoid())
    }
}

extension Tensor {
    /// Per-example convolution with mixed kernels: `mixing` (N, E) times `weight` (E, O·I·kh·kw) gives each
    /// example's kernel, `mixing · bias` (E, O) its bias; then example n is convolved with its own kernel.
    /// The same products as one grouped convolution of the (1, N·C, H, W) view with groups = N·groups (the
    /// reference's form), run per example by `perExampleConv2dForward` / `perExampleConv2dBackward`.
    /// Returns (N, O, H', W').
    func perExampleConv2d(mixing: Tensor, weight: Tensor, bias: Tensor?, kernelShape: [Int], stride: (Int, Int),
                          padding: (Int, Int), dilation: (Int, Int), groups: Int) -> Tensor {
        let kernels = mixing.matmul(weight)                       // (N, O·I·kh·kw)
        let biases = bias.map { mixing.matmul($0) }               // (N, O)
        return perExampleConv2d(kernels: kernels, biases: biases, kernelShape: kernelShape, stride: stride,
                                padding: padding, dilation: dilation, groups: groups)
    }

    /// Example n of (N, C, H, W) convolved with row n of `kernels` (N, O·C/groups·kh·kw) plus row n of `biases` (N, O).
    func perExampleConv2d(kernels: Tensor, biases: Tensor?, kernelShape: [Int], stride: (Int, Int),
                          padding: (Int, Int), dilation: (Int, Int), groups: Int) -> Tensor {
        let n = shape[0], o = kernelShape[0]
        checkShape(rank == 4 && kernelShape[1] * groups == shape[1] && kernels.shape == [n, kernelShape.reduce(1, *)],
                   "perExampleConv2d: input \(shape) and kernels \(kernels.shape) of \(kernelShape) do not agree with groups \(groups)")
        let g = Conv2dGeometry(batch: n, inChannels: shape[1], height: shape[2], width: shape[3], outChannels: o,
                               kernelH: kernelShape[2], kernelW: kernelShape[3], strideH: stride.0, strideW: stride.1,
                               padH: padding.0, padW: padding.1, dilationH: dilation.0, dilationW: dilation.1, groups: groups)
        checkShape(g.outH > 0 && g.outW > 0, "perExampleConv2d: input \(shape) is too small for kernel \(kernelShape) (output \(g.outH)×\(g.outW))")
        let out = Tensor(uninitializedShape: [n, o, g.outH, g.outW])
        perExampleConv2dForward(g, input: data, weights: kernels.data, biases: biases.map { UnsafePointer($0.data) }, output: out.data)
        var inputs = [self, kernels]
        if let biases { inputs.append(biases) }
        let x = self
        // dX_n = convᵀ(G_n, K_n); dK_n = G_n ⋆ X_n; db_n = Σ_hw G_n
        return Tensor.differentiable("per_example_conv2d", inputs: inputs, output: out) { grad in
            let gx = x.requiresGrad ? Tensor(uninitializedShape: x.shape) : nil
            let gk = kernels.requiresGrad ? Tensor(uninitializedShape: kernels.shape) : nil
            let gb = (biases?.requiresGrad ?? false) ? Tensor(uninitializedShape: biases!.shape) : nil
            perExampleConv2dBackward(g, input: x.data, weights: kernels.data, gradOutput: grad.data, gradInput: gx?.data,
                                     gradWeights: gk?.data, gradBiases: gb?.data)
            return biases == nil ? [gx, gk] : [gx, gk, gb]
        }
    }
}
