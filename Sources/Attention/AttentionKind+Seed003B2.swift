/// Registry rows of the seed-003 group-B2 modules (official implementations; GLTR from its paper; seed 003 gives
/// formulas only). PyTorch references: `scripts/fixtures/zoo_seed003B2.py`.
extension AttentionKind {
    static let seed003B2Entries: [ZooEntry] = [
        ZooEntry(key: "residual-attention", catalogueID: "D30", className: "AttentionModule",
                 paper: "Residual Attention Network for Image Classification (CVPR 2017)",
                 reference: "tengshaofeng/ResidualAttentionNetwork-pytorch model/attention_module.py AttentionModule_stage1/2/3 + basic_layers.py ResidualBlock",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C = in_channels = out_channels ≥ 4; H×W = size1 when given (stage 3)",
                 seedShape: [4, 256, 14, 14], make: makeResidualAttention),
        ZooEntry(key: "tam", catalogueID: "D26", className: "TAM",
                 paper: "TAM: Temporal Adaptive Module for Video Recognition (arXiv 2020)",
                 reference: "official liu-zhy/temporal-adaptive-module ops/temporal_module.py TAM",
                 shapeContract: "(N·T, C, H, W) → (N·T, C, H, W), T = n_segment (frames of a clip consecutive in the batch), C = in_channels",
                 seedShape: [16, 64, 28, 28], make: makeTAM),
        ZooEntry(key: "gltr", catalogueID: "D26", className: "GLTR",
                 paper: "Global-Local Temporal Representations For Video Person Re-Identification (ICCV 2019)",
                 reference: "official ljn114514/GLTR resnet.py head (feat1..3 dilated temporal convs, Nonlocal_block0, temporal mean) + NonLocalBlock1D.py",
                 shapeContract: "(N, C, T) frame features → (N, (1 + len(dilations))·C) video feature, C = in_channels",
                 seedShape: [8, 128, 16], make: makeGLTR),
        ZooEntry(key: "psanet", catalogueID: "D25", className: "PSA",
                 paper: "PSANet: Point-wise Spatial Attention Network for Scene Parsing (ECCV 2018)",
                 reference: "official hszhao/semseg model/psanet.py PSA + lib/psa PSAMask (compiled-kernel semantics)",
                 shapeContract: "(N, C, H, W) → (N, 2C, H, W), C = in_channels, (H−1), (W−1) divisible by shrink_factor",
                 seedShape: [2, 512, 33, 33], make: makePSANet),
    ]

    private static func makeResidualAttention(_ a: ModuleArguments) throws -> ZooInstance {
        let c = try a.int("in_channels", 256), out = try a.int("out_channels", 256)
        let stage = try a.int("stage", 3), size = try a.ints("size1", [])
        guard c >= 4 else { throw ModuleArgumentError("argument in_channels=\(c) of residual-attention must be at least 4 (the bottleneck has in_channels // 4 channels)") }
        guard out == c else {
            throw ModuleArgumentError("argument out_channels=\(out) of residual-attention must equal in_channels=\(c) (every residual block of the stage takes in_channels)")
        }
        guard size.isEmpty || (size.count == 2 && size.allSatisfy { $0 > 0 }) else {
            throw ModuleArgumentError("argument size1 of residual-attention expects two positive integers, got \(size)")
        }
        guard (1...3).contains(stage) else {
            throw ModuleArgumentError("argument stage=\(stage) of residual-attention must be 1, 2 or 3 (AttentionModule_stage1/2/3: three, two or one max-pool levels)")
        }
        guard size.isEmpty || stage == 3 else {
            throw ModuleArgumentError("argument size1 of residual-attention is only for stage 3 (the other stages size every level from the input)")
        }
        let size1: (Int, Int)? = size.isEmpty ? nil : (size[0], size[1])
        let fixed: [Int]? = size.count == 2 ? size : nil, levels = 4 - stage
        let requirement: @Sendable ([Int]) -> String? = { shape in
            if let fixed, shape[2] != fixed[0] || shape[3] != fixed[1] {
                return "input of shape \(shape) must have spatial size \(fixed[0])×\(fixed[1]) (size1: the upsampled mask is added to the trunk)"
            }
            // Each 3×3/2 max-pool with padding 1 maps s to (s − 1)/2 + 1; the lowest level's BatchNorm needs more
            // than one value per channel in training.
            var h = shape[2], w = shape[3]
            for _ in 0..<levels { h = (h - 1) / 2 + 1; w = (w - 1) / 2 + 1 }
            if shape[0] * h * w < 2 {
                return "input of shape \(shape) is too small: the lowest mask level (\(levels) max-pools) has one value per channel, which BatchNorm cannot normalise in training"
            }
            return nil
        }
        return ZooInstance(module: AttentionModule(inChannels: c, outChannels: out, stage: stage, size1: size1),
                           inputShape: [nil, c, nil, nil], requirement: requirement)
    }

    private static func makeTAM(_ a: ModuleArguments) throws -> ZooInstance {
        let c = try a.int("in_channels", 64), t = try a.int("n_segment", 8)
        let k = try a.int("kernel_size", 3, in: 1...ModuleArguments.maximumKernel), stride = try a.int("stride", 1), padding = try a.int("padding", 1, in: 0...ModuleArguments.maximumKernel)
        guard c >= 4 else { throw ModuleArgumentError("argument in_channels=\(c) of tam must be at least 4 (L has in_channels // 4 channels)") }
        guard t >= 1 else { throw ModuleArgumentError("argument n_segment=\(t) of tam must be positive") }
        guard k >= 1, k % 2 == 1 else { throw ModuleArgumentError("argument kernel_size=\(k) of tam must be odd and positive (L pads kernel_size // 2)") }
        guard stride == 1 else { throw ModuleArgumentError("argument stride=\(stride) of tam must be 1 (the output must keep n_segment frames)") }
        guard padding == k / 2 else {
            throw ModuleArgumentError("argument padding=\(padding) of tam must be kernel_size // 2 = \(k / 2) (the output must keep n_segment frames)")
        }
        return ZooInstance(module: TAM(inChannels: c, nSegment: t, kernelSize: k, stride: stride, padding: padding),
                           inputShape: [nil, c, nil, nil]) { shape in
            if shape[0] % t != 0 {
                return "input of shape \(shape) has a batch of \(shape[0]), not a multiple of n_segment \(t) (the input is (N·T, C, H, W))"
            }
            return shape[0] < 2 ? "input of shape \(shape) is a single frame: L's BatchNorm1d cannot normalise one value per channel in training" : nil
        }
        }


    private static func makeGLTR(_ a: ModuleArguments) throws -> ZooInstance {
        let c = try a.int("in_channels", 128), d = try a.ints("dilations", [1, 2, 3], in: 1...ModuleArguments.maximumKernel)
        guard c >= 1 else { throw ModuleArgumentError("argument in_channels=\(c) of gltr must be positive") }
        guard d.allSatisfy({ $0 >= 1 }) else { throw ModuleArgumentError("argument dilations=\(d) of gltr must be positive integers") }
        return ZooInstance(module: GLTR(inChannels: c, dilations: d), inputShape: [nil, c, nil]) { shape in
            shape[0] * shape[2] < 2
                ? "input of shape \(shape) has one frame in all: the non-local block's BatchNorm1d cannot normalise one value per channel in training" : nil
        }
    }

    private static func makePSANet(_ a: ModuleArguments) throws -> ZooInstance {
        let c = try a.int("in_channels", 512), mid = try a.int("mid_channels", 128)
        let type = try a.int("psa_type", 2), compact = try a.bool("compact", false), s = try a.int("shrink_factor", 2)
        let mh = try a.int("mask_h", 33), mw = try a.int("mask_w", 33)
        let norm = try a.float("normalization_factor", 1), softmax = try a.bool("psa_softmax", true)
        guard c >= 1, mid >= 1 else { throw ModuleArgumentError("arguments in_channels=\(c) and mid_channels=\(mid) of psanet must be positive") }
        guard (0...2).contains(type) else { throw ModuleArgumentError("argument psa_type=\(type) of psanet must be 0 (collect), 1 (distribute) or 2 (both)") }
        guard s >= 1 else { throw ModuleArgumentError("argument shrink_factor=\(s) of psanet must be positive") }
        guard mh >= 1, mw >= 1, compact || (mh % 2 == 1 && mw % 2 == 1) else {
            throw ModuleArgumentError("arguments mask_h=\(mh), mask_w=\(mw) of psanet must be odd and positive (the mask is centred on each position)")
        }
        guard norm != 0 else { throw ModuleArgumentError("argument normalization_factor of psanet must not be 0") }
        return ZooInstance(module: PSA(inChannels: c, midChannels: mid, psaType: type, compact: compact, shrinkFactor: s,
                                       maskH: mh, maskW: mw, normalizationFactor: norm, psaSoftmax: softmax),
                           inputShape: [nil, c, nil, nil]) { shape in
            let h = shape[2], w = shape[3]
            guard (h - 1) % s == 0, (w - 1) % s == 0 else {
                return "input of shape \(shape) needs (H − 1) and (W − 1) divisible by shrink_factor \(s) (the output is upsampled back to (h − 1)·\(s) + 1)"
            }
            let hs = (h - 1) / s + 1, ws = (w - 1) / s + 1
            if shape[0] * hs * ws < 2 {
                return "input of shape \(shape) is too small: the \(hs)×\(ws) attention grid has one value per channel, which BatchNorm cannot normalise in training"
            }
            if compact, hs * ws != mh * mw {
                return "input of shape \(shape) gives a \(hs)×\(ws) attention grid, but compact psanet needs mask_h·mask_w = \(mh * mw) positions"
            }
            return nil
        }
        }
}
