import Backbones
import NN
import TensorCore

/// Feature Pyramid Network (Lin et al. 2017, https://arxiv.org/abs/1612.03144), torchvision's
/// `ops.FeaturePyramidNetwork` with `LastLevelMaxPool` and no norm layer.
/// ```
/// inner_l = inner_blocks[l](C_l)                          (1×1 conv to outChannels)
/// top     = inner_top;  top_l = inner_l + nearest(top_{l+1}, size of C_l)
/// P_l     = layer_blocks[l](top_l)                        (3×3 conv, padding 1)
/// pool    = max_pool2d(P_last, kernel 1, stride 2)         (LastLevelMaxPool: subsampling)
/// ```
/// Shapes: C_l (N, inChannelsList[l], H_l, W_l) → P_l (N, outChannels, H_l, W_l), plus "pool".
/// State-dict keys: `inner_blocks.<l>.0.{weight,bias}`, `layer_blocks.<l>.0.{weight,bias}`
/// (torchvision ≥ 0.13's Conv2dNormActivation layout). Initialisation as torchvision's:
/// kaiming_uniform_(a=1) weights, zero biases.
public final class FeaturePyramidNetwork: Module, @unchecked Sendable {
    public let innerBlocks: [Module]
    public let layerBlocks: [Module]
    public let outChannels: Int

    public init(inChannelsList: [Int], outChannels: Int) {
        innerBlocks = inChannelsList.map { Sequential(Conv2d(inChannels: $0, outChannels: outChannels, kernelSize: 1)) }
        layerBlocks = inChannelsList.map { _ in
            Sequential(Conv2d(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1))
        }
        self.outChannels = outChannels
        super.init()
        // torchvision: kaiming_uniform_(a=1) weights, zero biases.
        for m in innerBlocks + layerBlocks {
            for (key, p) in m.namedParameters() {
                if key.hasSuffix("weight") { Init.kaimingUniform(p, a: 1) } else { Init.zeros(p) }
            }
        }
    }

    /// The maps of `x` (finest first), then "pool" (the last map subsampled by 2).
    public func callAsFunction(_ x: [Tensor]) -> [Tensor] {
        checkShape(x.count == innerBlocks.count, "FeaturePyramidNetwork: \(x.count) maps for \(innerBlocks.count) levels")
        var lastInner = innerBlocks[x.count - 1](x[x.count - 1])
        var results = [applyRowSplit(layerBlocks[x.count - 1], lastInner)]
        for l in stride(from: x.count - 2, through: 0, by: -1) {
            let topDown = lastInner.interpolate(size: (x[l].shape[2], x[l].shape[3]), mode: .nearest)
            // Inference: the sum in the lateral convolution's epilogue (one pass less over the map).
            lastInner = fusedConv(innerBlocks[l], x[l], residual: topDown, relu: false) ?? innerBlocks[l](x[l]) + topDown
            results.insert(applyRowSplit(layerBlocks[l], lastInner), at: 0)
        }
        results.append(results[results.count - 1].maxPool2d(kernelSize: (1, 1), stride: (2, 2)))
        return results
    }
}

/// A ResNet body (features only) with an FPN on C2…C5, torchvision's `BackboneWithFPN` as
/// `_resnet_fpn_extractor` builds it (returned layers 1…4, 256 channels, LastLevelMaxPool).
/// State-dict keys: `body.*` (the ResNet's conv1, bn1, layer1…4), `fpn.*`.
public final class BackboneWithFPN: Module, @unchecked Sendable {
    public let body: ResNet
    public let fpn: FeaturePyramidNetwork
    /// The names of the returned maps: "0"…"3", "pool".
    public let featureNames: [String]

    public init(body: ResNet, outChannels: Int = 256) {
        self.body = body
        fpn = FeaturePyramidNetwork(inChannelsList: body.stageChannels, outChannels: outChannels)
        featureNames = (0..<body.stageChannels.count).map(String.init) + ["pool"]
        super.init()
    }

    /// P2…P6 for an (N, 3, H, W) batch.
    public func features(_ x: Tensor) -> [Tensor] { fpn(body.features(x)) }
}
