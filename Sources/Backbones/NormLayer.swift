import NN

/// The norm layer of a backbone (torchvision's `norm_layer`): trainable BatchNorm2d or the
/// FrozenBatchNorm2d of torchvision's detection backbones.
public enum NormLayer: String, CaseIterable, Sendable {
    case batchNorm2d = "BatchNorm2d"
    case frozenBatchNorm2d = "FrozenBatchNorm2d"

    func make(_ channels: Int) -> Module {
        switch self {
        case .batchNorm2d: return BatchNorm2d(numFeatures: channels)
        case .frozenBatchNorm2d: return FrozenBatchNorm2d(numFeatures: channels)
        }
    }
}

/// What every block of a ResNet-style stage needs: its options and the slot's plugins.
struct BlockContext {
    var norm: NormLayer = .batchNorm2d
    var groups = 1
    var baseWidth = 64
    var dilation = 1
    var plugins = BlockPlugins.none
}
