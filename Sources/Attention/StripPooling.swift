import NN
import TensorCore

/// SPNet's mixed strip-pooling block (catalogue D36), official `StripPooling`.
///
/// Paper: Hou et al., "Strip Pooling: Rethinking Spatial Pooling for Scene Parsing", CVPR 2020, https://arxiv.org/abs/2003.13328
/// ```
/// x1 = CBR1×1(X), x2 = CBR1×1(X)            (C → C/4)
/// a = ReLU(CB3×3(x1) + Up(CB3×3(P_s0(x1))) + Up(CB3×3(P_s1(x1))))      P_s: adaptive avg pool to s×s
/// b = ReLU(Up(CB1×3(P_1×W(x2))) + Up(CB3×1(P_H×1(x2))))
/// Y = ReLU(X + CB1×1([CBR3×3(a) ‖ CBR3×3(b)]))        Up: bilinear, align_corners=True
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C divisible by 4.
/// State-dict keys: `conv1_1`, `conv1_2`, `conv2_0` … `conv2_6`, `conv3`, each `.0.weight` (conv, no bias) and
/// `.1.{weight,bias,running_mean,running_var,num_batches_tracked}` (BatchNorm2d).
/// Reference: official Andrew-Qibin/SPNet `models/customize.py` `StripPooling(in_channels, pool_size, norm_layer,
/// up_kwargs)` with `norm_layer = BatchNorm2d`, `up_kwargs = {mode: bilinear, align_corners: True}`, pool_size (20, 12) as SPNet's head.
/// Not timm's `StripAttn`.
public final class StripPooling: Module, @unchecked Sendable {
    public let pool1: AdaptiveAvgPool2d
    public let pool2: AdaptiveAvgPool2d
    public let pool3 = AdaptiveAvgPool2d(outputSize: (1, nil))
    public let pool4 = AdaptiveAvgPool2d(outputSize: (nil, 1))
    public let conv1_1: Sequential, conv1_2: Sequential
    public let conv2_0: Sequential, conv2_1: Sequential, conv2_2: Sequential, conv2_3: Sequential
    public let conv2_4: Sequential, conv2_5: Sequential, conv2_6: Sequential
    public let conv3: Sequential

    public init(inChannels: Int = 64, poolSize: (Int, Int) = (20, 12)) {
        let ic = inChannels / 4
        func cb(_ i: Int, _ o: Int, _ k: (Int, Int), _ p: (Int, Int), relu: Bool = false) -> Sequential {
            let layers: [Module] = [Conv2d(inChannels: i, outChannels: o, kernelSize: k, padding: p, bias: false), BatchNorm2d(numFeatures: o)]
            return Sequential(relu ? layers + [ReLU(inplace: true)] : layers)
        }
        pool1 = AdaptiveAvgPool2d(poolSize.0)
        pool2 = AdaptiveAvgPool2d(poolSize.1)
        conv1_1 = cb(inChannels, ic, (1, 1), (0, 0), relu: true)
        conv1_2 = cb(inChannels, ic, (1, 1), (0, 0), relu: true)
        conv2_0 = cb(ic, ic, (3, 3), (1, 1))
        conv2_1 = cb(ic, ic, (3, 3), (1, 1))
        conv2_2 = cb(ic, ic, (3, 3), (1, 1))
        conv2_3 = cb(ic, ic, (1, 3), (0, 1))
        conv2_4 = cb(ic, ic, (3, 1), (1, 0))
        conv2_5 = cb(ic, ic, (3, 3), (1, 1), relu: true)
        conv2_6 = cb(ic, ic, (3, 3), (1, 1), relu: true)
        conv3 = cb(ic * 2, inChannels, (1, 1), (0, 0))
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let size = (x.shape[2], x.shape[3])
        func up(_ t: Tensor) -> Tensor { t.interpolate(size: size, mode: .bilinear, alignCorners: true) }
        let x1 = conv1_1(x), x2 = conv1_2(x)
        let a = (conv2_0(x1) + up(conv2_1(pool1(x1))) + up(conv2_2(pool2(x1)))).relu()
        let b = (up(conv2_4(pool4(x2))) + up(conv2_3(pool3(x2)))).relu()
        let out = conv3(Tensor.cat([conv2_5(a), conv2_6(b)], axis: 1))
        return (x + out).relu()
    }
}
