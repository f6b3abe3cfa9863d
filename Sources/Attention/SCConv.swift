import NN
import TensorCore

/// Self-calibrated convolution (catalogue D35), official SCNet `SCConv`.
///
/// Paper: Liu et al., "Improving Convolutional Networks with Self-Calibrated Convolutions", CVPR 2020,
/// http://mftp.mmcheng.net/Papers/20cvprSCNet.pdf
/// ```
/// T = sigmoid(X + Up_nearest(K2(AvgPool_r(X))))      K_i = BN(conv3×3)
/// Y = K4(K3(X) ⊙ T)
/// ```
/// Shapes: (N, inplanes, H, W) → (N, planes, H', W') with the stride/padding/dilation of `k4`; planes = inplanes.
/// State-dict keys: `k2.1.weight`, `k2.2.{weight,bias,running_mean,running_var,num_batches_tracked}` (`k2.0` is the
/// average pool), `k3.0.weight`, `k3.1.*`, `k4.0.weight`, `k4.1.*`.
/// Reference: official MCG-NKU/SCNet `scnet.py` `SCConv(inplanes, planes, stride, padding, dilation, groups, pooling_r,
/// norm_layer)` with `norm_layer = BatchNorm2d`; the defaults (stride 1, padding 1, dilation 1, groups 1, pooling_r 4)
/// are those SCBottleneck passes.
public final class SCConv: Module {
    public let k2: Sequential
    public let k3: Sequential
    public let k4: Sequential

    public init(inplanes: Int = 64, planes: Int = 64, stride: Int = 1, padding: Int = 1, dilation: Int = 1, groups: Int = 1,
                poolingR: Int = 4) {
        func conv(_ s: Int) -> Conv2d {
            Conv2d(inChannels: inplanes, outChannels: planes, kernelSize: 3, stride: s, padding: padding, dilation: dilation,
                   groups: groups, bias: false)
        }
        k2 = Sequential(AvgPool2d(kernelSize: poolingR, stride: poolingR), conv(1), BatchNorm2d(numFeatures: planes))
        k3 = Sequential(conv(1), BatchNorm2d(numFeatures: planes))
        k4 = Sequential(conv(stride), BatchNorm2d(numFeatures: planes))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let h = x.shape[2], w = x.shape[3]
        let t = (x + k2(x).interpolate(size: (h, w))).sigmoid()
        return k4(k3(x) * t)
    }
}
