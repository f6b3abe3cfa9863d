import TensorCore

/// 2-D convolution (torch.nn.Conv2d). Keys `weight` (O, I/groups, kH, kW), `bias` (O).
public final class Conv2d: Module, @unchecked Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

    public init(inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        weight = Parameter(Tensor.zeros([outChannels, inChannels / groups, kernelSize.0, kernelSize.1]))
        self.bias = bias ? Parameter(Tensor.zeros([outChannels])) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        super.init()
        Init.defaultLayer(weight: weight, bias: self.bias)
    }

    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 1-D convolution (torch.nn.Conv1d). Keys `weight` (O, I/groups, k), `bias` (O).
public final class Conv1d: Module, @unchecked Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv1d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        weight = Parameter(Tensor.zeros([outChannels, inChannels / groups, kernelSize]))
        self.bias = bias ? Parameter(Tensor.zeros([outChannels])) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        super.init()
        Init.defaultLayer(weight: weight, bias: self.bias)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        x.conv1d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
