/// Registry rows of the seed-000/001 modules (SE, CBAM, BAM, SK, ResNeSt, ResNeXt).
extension AttentionKind {
    static let seed000Entries: [ZooEntry] = [
        ZooEntry(key: "se-block", catalogueID: "D01", className: "SEBlock",
                 paper: "Squeeze-and-Excitation Networks (CVPR 2018)", reference: "seed 000 (SEBlock)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [1, 128, 28, 28]) { a in
            let c = try a.int("channel", 128), r = try a.int("r", 16)
            try requirePositive(["channel": c, "r": r], "se-block")
            guard c >= r else { throw ModuleArgumentError("argument channel=\(c) of se-block must be at least r=\(r)") }
            return ZooInstance(module: SEBlock(channel: c, r: r), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "cbam", catalogueID: "D02", className: "CBAM",
                 paper: "CBAM: Convolutional Block Attention Module (ECCV 2018)",
                 reference: "seed 000 (CBAM, ChannelAttention, SpatialAttention); seed 001",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C ≥ 16", seedShape: [1, 128, 14, 14]) { a in
            let c = try a.int("planes", 128)
            guard c >= 16 else { throw ModuleArgumentError("argument planes=\(c) of cbam must be at least 16 (the MLP has planes/16 units)") }
            return ZooInstance(module: CBAM(planes: c), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "bam", catalogueID: "D03", className: "BAM",
                 paper: "BAM: Bottleneck Attention Module (BMVC 2018)",
                 reference: "seed 001 (ChannelGate, SpatialGate); Jongchan/attention-module MODELS/bam.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), H ≤ W < 2H (the channel gate pools H×H)",
                 seedShape: [12, 64, 32, 32]) { a in
            let c = try a.int("gate_channel", 64), r = try a.int("reduction_ratio", 16)
            let layers = try a.int("num_layers", 1), convs = try a.int("dilation_conv_num", 2), dil = try a.int("dilation_val", 4, in: 1...ModuleArguments.maximumKernel)
            try requirePositive(["gate_channel": c, "reduction_ratio": r, "num_layers": layers, "dilation_val": dil], "bam")
            guard convs >= 0 else { throw ModuleArgumentError("argument dilation_conv_num=\(convs) of bam must not be negative") }
            guard c >= r else { throw ModuleArgumentError("argument gate_channel=\(c) of bam must be at least reduction_ratio=\(r)") }
            return ZooInstance(module: BAM(gateChannel: c, reductionRatio: r, numLayers: layers, dilationConvNum: convs, dilationVal: dil),
                               inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "sk", catalogueID: "D38", className: "SKConv",
                 paper: "Selective Kernel Networks (CVPR 2019)", reference: "seed 000 (SKConv)",
                 shapeContract: "(N, C, H, W) → (N, C, ⌈H/stride⌉, ⌈W/stride⌉)", seedShape: [2, 1024, 14, 14]) { a in
            let c = try a.int("channels", 1024), s = try a.int("stride", 1), m = try a.int("M", 2), r = try a.int("reduction", 4)
            try requirePositive(["channels": c, "stride": s, "M": m, "reduction": r], "sk")
            guard c >= r else { throw ModuleArgumentError("argument channels=\(c) of sk must be at least reduction=\(r)") }
            return ZooInstance(module: SKConv(channels: c, stride: s, M: m, reduction: r), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "sk-unit", catalogueID: "C2", className: "SKUnit",
                 paper: "Selective Kernel Networks (CVPR 2019)", reference: "seed 000 (SKUnit)",
                 shapeContract: "(N, in, H, W) → (N, out, H, W) when in = out, else (N, out, ⌈H/2⌉, ⌈W/2⌉)",
                 seedShape: [8, 64, 32, 32]) { a in
            let i = try a.int("in_channels", 64), o = try a.int("out_channels", i)
            try requirePositive(["in_channels": i, "out_channels": o], "sk-unit")
            guard i == o ? i >= 8 : i >= 4 else {
                throw ModuleArgumentError("argument in_channels=\(i) of sk-unit is too small (its SKConv reduces the middle width by 4)")
            }
            return ZooInstance(module: SKUnit(inChannels: i, outChannels: o), inputShape: [nil, i, nil, nil])
        },
        ZooEntry(key: "splat", catalogueID: "D39", className: "SplAtConv2d",
                 paper: "ResNeSt: Split-Attention Networks (2020)",
                 reference: "seed 000 (SplAtConv2d, rSoftMax); zhanghang1989/ResNeSt splat.py",
                 shapeContract: "(N, in_channels, H, W) → (N, channels, H', W'), H', W' of the conv", seedShape: [2, 64, 56, 56]) { a in
            let i = try a.int("in_channels", 64), c = try a.int("channels", i)
            let k = try a.int("kernel_size", 3, in: 1...ModuleArguments.maximumKernel), s = try a.int("stride", 1), p = try a.int("padding", 1, in: 0...ModuleArguments.maximumKernel), d = try a.int("dilation", 1, in: 1...ModuleArguments.maximumKernel)
            let g = try a.int("groups", 1), bias = try a.bool("bias", false), radix = try a.int("radix", 2), rf = try a.int("reduction_factor", 4)
            try requirePositive(["in_channels": i, "channels": c, "kernel_size": k, "stride": s, "dilation": d, "groups": g,
                                 "radix": radix, "reduction_factor": rf], "splat")
            guard p >= 0 else { throw ModuleArgumentError("argument padding=\(p) of splat must not be negative") }
            guard i % (g * radix) == 0 else {
                throw ModuleArgumentError("argument in_channels=\(i) of splat must be divisible by groups·radix = \(g * radix)")
            }
            guard c % g == 0, max(i * radix / rf, 32) % g == 0 else {
                throw ModuleArgumentError("argument groups=\(g) of splat must divide channels=\(c) and max(in_channels·radix/reduction_factor, 32)")
            }
            return ZooInstance(module: SplAtConv2d(inChannels: i, channels: c, kernelSize: k, stride: s, padding: p, dilation: d,
                                                   groups: g, bias: bias, radix: radix, reductionFactor: rf),
                               inputShape: [nil, i, nil, nil], requirement: ZooInstance.convolutionFits(kernel: k, padding: p, dilation: d))
        },
        ZooEntry(key: "resnext-block", catalogueID: "C3", className: "ResNeXtBlock",
                 paper: "Aggregated Residual Transformations for Deep Neural Networks (CVPR 2017)", reference: "seed 000 (Block)",
                 shapeContract: "(N, in, H, W) → (N, 2·gw, ⌈H/stride⌉, ⌈W/stride⌉)", seedShape: [2, 1024, 14, 14]) { a in
            let i = try a.int("in_channels", 1024), gw = try a.int("gw", 512)
            let card = try a.int("cardinality", 32), s = try a.int("stride", 1)
            try requirePositive(["in_channels": i, "gw": gw, "cardinality": card, "stride": s], "resnext-block")
            guard gw % card == 0 else { throw ModuleArgumentError("argument gw=\(gw) of resnext-block must be divisible by cardinality=\(card)") }
            return ZooInstance(module: ResNeXtBlock(inChannels: i, gw: gw, cardinality: card, stride: s), inputShape: [nil, i, nil, nil])
        },
    ]

    /// Throws naming the first argument (in name order) that is not positive.
    private static func requirePositive(_ values: [String: Int], _ key: String) throws {
        for (name, v) in values.sorted(by: { $0.key < $1.key }) where v <= 0 {
            throw ModuleArgumentError("argument \(name)=\(v) of \(key) must be positive")
        }
    }
}
