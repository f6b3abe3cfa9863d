import Kernels
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
/// `K3(X) ⊙ σ(X + Up(K2(X)))` is one fused differentiable primitive.
public final class SCConv: Module, @unchecked Sendable {
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
        checkShape(x.rank == 4, "SCConv: expected a (N, C, H, W) input, got \(x.shape)")
        let h = x.shape[2], w = x.shape[3]
        return k4(k3(x).selfCalibrated(x, k2(x).interpolate(size: (h, w))))
    }
}

extension Tensor {
    /// `self ⊙ σ(x + up)` in one pass (the SCConv calibration); the pullback recomputes t = σ(x + up) and gives
    /// ∂self = g·t and ∂x = ∂up = g·self·t(1 − t).
    func selfCalibrated(_ x: Tensor, _ up: Tensor) -> Tensor {
        checkShape(shape == x.shape && shape == up.shape, "selfCalibrated: shapes \(shape), \(x.shape), \(up.shape) differ")
        let total = count, chunk = 4096
        let out = Tensor(uninitializedShape: shape)
        let kp = UncheckedPointer(data), xp = UncheckedPointer(x.data), upp = UncheckedPointer(up.data), op = UncheckedPointer(out.data)
        let blocks = (total + chunk - 1) / chunk
        RowKernels.forRows(blocks, rowLength: chunk) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * chunk) { scratch in
                let pre = scratch.baseAddress!, t = pre + chunk
                for blk in range {
                    let lo = blk * chunk, len = Swift.min(chunk, total - lo)
                    for i in 0..<len { pre[i] = xp.p[lo + i] + upp.p[lo + i] }
                    VectorMath.apply(.sigmoid, pre, t, count: len)   // out of place: the vector path needs distinct buffers
                    for i in 0..<len { op.p[lo + i] = kp.p[lo + i] * t[i] }
                }
            }
        }
        let k = self
        return Tensor.differentiable("selfCalibrated", inputs: [self, x, up], output: out) { g in
            let gk = Tensor(uninitializedShape: k.shape), gx = Tensor(uninitializedShape: k.shape), gu = Tensor(uninitializedShape: k.shape)
            let gp = UncheckedPointer(g.data), kq = UncheckedPointer(k.data), xq = UncheckedPointer(x.data), uq = UncheckedPointer(up.data)
            let gkp = UncheckedPointer(gk.data), gxp = UncheckedPointer(gx.data), gup = UncheckedPointer(gu.data)
            RowKernels.forRows(blocks, rowLength: chunk) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * chunk) { scratch in
                    let pre = scratch.baseAddress!, t = pre + chunk
                    for blk in range {
                        let lo = blk * chunk, len = Swift.min(chunk, total - lo)
                        for i in 0..<len { pre[i] = xq.p[lo + i] + uq.p[lo + i] }
                        VectorMath.apply(.sigmoid, pre, t, count: len)
                        for i in 0..<len {
                            let gi = gp.p[lo + i], ti = t[i], p = gi * kq.p[lo + i] * ti * (1 - ti)
                            gkp.p[lo + i] = gi * ti
                            gxp.p[lo + i] = p
                            gup.p[lo + i] = p
                        }
                    }
                }
            }
            return [gk, gx, gu]
        }
    }
}
