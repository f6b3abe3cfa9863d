import NN
import TensorCore

/// Gather-Excite: gather context over a spatial extent, excite back to full size, gate (catalogue D24).
///
/// Paper: Hu, Shen, Albanie, Sun, Vedaldi, "Gather-Excite: Exploiting Feature Context in Convolutional Neural
/// Networks", NeurIPS 2018, https://arxiv.org/abs/1810.12348
/// ```
/// gather ξ_G:  extent 0            → global mean (GE-θ⁻), or a depthwise conv spanning the map + BN (GE-θ)
///              extent e > 0        → avg_pool(k = 2e−1, stride e, pad e−1, count_include_pad=False) (GE-θ⁻),
///                                    or log2(e) × [depthwise 3×3 stride-2 conv + BN], ReLU between (GE-θ)
///              add_maxpool         → ½·gather + ½·max-gather (timm's experimental path)
/// excite ξ_E:  g' = MLP(g) (1×1 conv → ReLU → 1×1 conv, use_mlp);  nearest interpolation back to H×W
/// Y = X ⊙ σ(ξ_E(ξ_G(X)))
/// ```
/// Shapes: (N, C, H, W) → (N, C, H, W), C = channels; extent 0 with extra_params needs H×W = feat_size.
/// State-dict keys: `gather.conv{i}.weight`, `gather.norm{i}.{weight,bias,running_mean,running_var,num_batches_tracked}`
/// (extra_params), `mlp.fc1.{weight,bias}`, `mlp.fc2.{weight,bias}` (use_mlp).
/// Reference: timm 1.0.31 `timm/layers/gather_excite.py` `GatherExcite` (act ReLU, norm BatchNorm2d, gate sigmoid);
/// the official hujie-frank/GENet is a partial Caffe release.
/// Deviation: timm 1.0.31 passes its `dd` dict positionally (`*dd`) to `create_conv2d` and `ConvMlp`, so every
/// configuration with extra_params or use_mlp raises TypeError there; we build the layers timm intends.
/// Deviation: for extent 0 with extra_params timm pads the feat_size depthwise conv symmetrically (k // 2), which
/// makes the "global" gather a padded local filter with a feat_size output; we follow the paper's GE-θ global
/// gather (a depthwise conv spanning the whole map, no padding, one value per channel).
/// The global mean and the 1×1 gate are fused one-pass primitives (`planeMean`, `channelGated`).
public final class GatherExcite: Module, @unchecked Sendable {
    /// timm's ConvMlp with its defaults: 1×1 conv (bias) → ReLU → 1×1 conv (bias).
    public final class ConvMlp: Module, @unchecked Sendable {
        public let fc1: Conv2d
        public let fc2: Conv2d

        public init(inFeatures: Int, hiddenFeatures: Int) {
            fc1 = Conv2d(inChannels: inFeatures, outChannels: hiddenFeatures, kernelSize: 1)
            fc2 = Conv2d(inChannels: hiddenFeatures, outChannels: inFeatures, kernelSize: 1)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor { fc2(fc1(x).relu()) }
    }

    public let gather: NamedSequential?
    public let mlp: ConvMlp?
    public let channels: Int, extent: Int, addMaxpool: Bool
    let gk: Int, gs: Int

    /// timm's `make_divisible(v, divisor, round_limit=0)`: round half up to a multiple of `divisor`, at least `divisor`.
    public static func makeDivisible(_ v: Double, divisor: Int) -> Int {
        Swift.max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    }

    public init(channels: Int = 256, featSize: (Int, Int)? = nil, extraParams: Bool = false, extent: Int = 0,
                useMlp: Bool = true, rdRatio: Double = 1.0 / 16, rdChannels: Int? = nil, rdDivisor: Int = 1,
                addMaxpool: Bool = false) {
        precondition(extent == 0 || extent % 2 == 0, "GatherExcite: extent \(extent) must be 0 or even")
        self.channels = channels
        self.extent = extent
        self.addMaxpool = addMaxpool
        if extraParams {
            var layers: [(String, Module)] = []
            if extent == 0 {
                guard let featSize else { preconditionFailure("GatherExcite: global extent with params needs feat_size") }
                layers.append(("conv1", Conv2d(inChannels: channels, outChannels: channels, kernelSize: featSize,
                                               groups: channels, bias: false)))
                layers.append(("norm1", BatchNorm2d(numFeatures: channels)))
            } else {
                var numConv = 0
                while 1 << (numConv + 1) <= extent { numConv += 1 }   // int(log2(extent))
                for i in 0..<numConv {
                    layers.append(("conv\(i + 1)", Conv2d(inChannels: channels, outChannels: channels, kernelSize: (3, 3),
                                                          stride: (2, 2), padding: (1, 1), groups: channels, bias: false)))
                    layers.append(("norm\(i + 1)", BatchNorm2d(numFeatures: channels)))
                    if i != numConv - 1 { layers.append(("act\(i + 1)", ReLU(inplace: true))) }
                }
            }
            gather = NamedSequential(layers)
            gk = 0; gs = 0
        } else {
            gather = nil
            gk = extent == 0 ? 0 : 2 * extent - 1
            gs = extent
        }
        let rd = (rdChannels ?? 0) > 0 ? rdChannels! : GatherExcite.makeDivisible(Double(channels) * rdRatio, divisor: rdDivisor)
        mlp = useMlp ? ConvMlp(inFeatures: channels, hiddenFeatures: rd) : nil
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        checkShape(x.rank == 4 && x.shape[1] == channels, "GatherExcite: expected an (N, \(channels), H, W) input, got \(x.shape)")
        var g: Tensor
        if let gather {
            g = gather(x)
        } else if extent == 0 {
            g = GatherExcite.planeMean(x)
            if addMaxpool { g = g * 0.5 + x.amax(axes: [2, 3], keepDims: true) * 0.5 }
        } else {
            g = x.avgPool2d(kernelSize: (gk, gk), stride: (gs, gs), padding: (gk / 2, gk / 2), countIncludePad: false)
            if addMaxpool {
                g = g * 0.5 + x.maxPool2d(kernelSize: (gk, gk), stride: (gs, gs), padding: (gk / 2, gk / 2)) * 0.5
            }
        }
        if let mlp { g = mlp(g) }
        if g.shape[2] == 1 && g.shape[3] == 1 { return x.channelGated(g.sigmoid()) }
        // σ commutes with nearest interpolation (it copies values): gate the small map, then upsample.
        return x * g.sigmoid().interpolate(size: (x.shape[2], x.shape[3]), mode: .nearest)
    }

    /// Mean of each (n, c) plane as (N, C, 1, 1) in one pass; the pullback fills each plane with g/(H·W).
    static func planeMean(_ x: Tensor) -> Tensor {
        let rows = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3], inv = 1 / Float(hw)
        let out = Tensor(uninitializedShape: [x.shape[0], x.shape[1], 1, 1])
        let xp = UncheckedPointer(x.data), op = UncheckedPointer(out.data)
        RowKernels.forRows(rows, rowLength: hw) { range in
            for i in range { op.p[i] = RowKernels.sum(xp.p + i * hw, hw) * inv }
        }
        let shape = x.shape
        return Tensor.differentiable("plane_mean", inputs: [x], output: out) { g in
            let gx = Tensor(uninitializedShape: shape)
            let gp = UncheckedPointer(g.data), dp = UncheckedPointer(gx.data)
            RowKernels.forRows(rows, rowLength: hw) { range in
                for i in range { (dp.p + i * hw).update(repeating: gp.p[i] * inv, count: hw) }
            }
            return [gx]
        }
    }
}
