/// Registry rows of the seed-002 modules (External-Attention-pytorch forms).
extension AttentionKind {
    static let seed002Entries: [ZooEntry] = [
        ZooEntry(key: "se", catalogueID: "D01", className: "SEAttention",
                 paper: "Squeeze-and-Excitation Networks (CVPR 2018)",
                 reference: "seed 002; External-Attention-pytorch model/attention/SEAttention.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512, in: ModuleArguments.positive), r = try a.int("reduction", 8, in: 1...c)
            return ZooInstance(module: SEAttention(channel: c, reduction: r), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "cbam-block", catalogueID: "D02", className: "CBAMBlock",
                 paper: "CBAM: Convolutional Block Attention Module (ECCV 2018)",
                 reference: "seed 002; External-Attention-pytorch model/attention/CBAM.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512, in: ModuleArguments.positive), r = try a.int("reduction", 16, in: 1...c)
            let k = try a.int("kernel_size", 7, in: 1...ModuleArguments.maximumKernel)
            try ModuleArguments.requireOdd(k, "kernel_size", of: "cbam-block", because: "padding kernel_size // 2 keeps H×W only for odd kernels")
            return ZooInstance(module: CBAMBlock(channel: c, reduction: r, kernelSize: k), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "bam-block", catalogueID: "D03", className: "BAMBlock",
                 paper: "BAM: Bottleneck Attention Module (BMVC 2018)",
                 reference: "seed 002; External-Attention-pytorch model/attention/BAM.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W); with dia_val 2 the input must be 7×7 (reference quirk) unless paper_padding",
                 seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512, in: ModuleArguments.positive), r = try a.int("reduction", 16, in: 1...c)
            let dia = try a.int("dia_val", 2, in: 1...ModuleArguments.maximumKernel)
            let paperPadding = try a.bool("paper_padding", false)
            return ZooInstance(module: BAMBlock(channel: c, reduction: r, diaVal: dia, paperPadding: paperPadding),
                               inputShape: [nil, c, nil, nil], requirement: paperPadding ? nil : bamBlockGateFits(diaVal: dia))
        },
        ZooEntry(key: "eca", catalogueID: "D04", className: "ECAAttention",
                 paper: "ECA-Net: Efficient Channel Attention for Deep CNNs (CVPR 2020)",
                 reference: "seed 002; External-Attention-pytorch model/attention/ECAAttention.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [50, 512, 7, 7]) { a in
            let k = try a.int("kernel_size", 3, in: 1...ModuleArguments.maximumKernel)
            try ModuleArguments.requireOdd(k, "kernel_size", of: "eca", because: "padding (kernel_size − 1) // 2 keeps C only for odd kernels")
            return ZooInstance(module: ECAAttention(kernelSize: k), inputShape: [nil, nil, nil, nil])
        },
        ZooEntry(key: "sa", catalogueID: "D05", className: "ShuffleAttention",
                 paper: "SA-Net: Shuffle Attention for Deep CNNs (ICASSP 2021)",
                 reference: "seed 002; External-Attention-pytorch model/attention/ShuffleAttention.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C divisible by 2G", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512, in: ModuleArguments.positive), g = try a.int("G", 8)
            guard g > 0, c % (2 * g) == 0 else { throw ModuleArgumentError("argument channel=\(c) of sa must be divisible by 2·G = \(2 * g)") }
            return ZooInstance(module: ShuffleAttention(channel: c, reduction: try a.int("reduction", 16), G: g), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "psa-p", catalogueID: "D06", className: "ParallelPolarizedSelfAttention",
                 paper: "Polarized Self-Attention (2021)",
                 reference: "seed 002; External-Attention-pytorch model/attention/PolarizedSelfAttention.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C even", seedShape: [1, 512, 7, 7],
                 extraBenchShapes: [[8, 512, 28, 28]]) { a in
            let c = try a.int("channel", 512)
            guard c > 0, c % 2 == 0 else { throw ModuleArgumentError("argument channel=\(c) of psa-p must be even") }
            return ZooInstance(module: ParallelPolarizedSelfAttention(channel: c), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "psa-s", catalogueID: "D06", className: "SequentialPolarizedSelfAttention",
                 paper: "Polarized Self-Attention (2021)",
                 reference: "seed 002; External-Attention-pytorch model/attention/PolarizedSelfAttention.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C even", seedShape: [1, 512, 7, 7],
                 extraBenchShapes: [[8, 512, 28, 28]]) { a in
            let c = try a.int("channel", 512)
            guard c > 0, c % 2 == 0 else { throw ModuleArgumentError("argument channel=\(c) of psa-s must be even") }
            return ZooInstance(module: SequentialPolarizedSelfAttention(channel: c), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "sge", catalogueID: "D07", className: "SpatialGroupEnhance",
                 paper: "Spatial Group-wise Enhance (2019)",
                 reference: "seed 002; External-Attention-pytorch model/attention/SGE.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C divisible by groups", seedShape: [50, 512, 7, 7]) { a in
            let g = try a.int("groups", 8)
            guard g > 0 else { throw ModuleArgumentError("argument groups=\(g) of sge must be positive") }
            return ZooInstance(module: SpatialGroupEnhance(groups: g), inputShape: [nil, nil, nil, nil])
        },
        ZooEntry(key: "coord", catalogueID: "D08", className: "CoordAtt",
                 paper: "Coordinate Attention for Efficient Mobile Network Design (CVPR 2021)",
                 reference: "seed 002; External-Attention-pytorch model/attention/CoordAttention.py",
                 shapeContract: "(N, inp, H, W) → (N, oup, H, W), oup = inp", seedShape: [50, 512, 7, 7]) { a in
            let inp = try a.int("inp", 512, in: ModuleArguments.positive), oup = try a.int("oup", inp)
            guard oup == inp else { throw ModuleArgumentError("argument oup=\(oup) of coord must equal inp=\(inp) (the gates multiply the input)") }
            return ZooInstance(module: CoordAtt(inp: inp, oup: oup, reduction: try a.int("reduction", 32, in: ModuleArguments.positive)), inputShape: [nil, inp, nil, nil])
        },
        ZooEntry(key: "gam", catalogueID: "D09", className: "GAMAttention",
                 paper: "Global Attention Mechanism (2021)", reference: "seed 002 (GAM_Attention)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [8, 64, 32, 32]) { a in
            let c = try a.int("in_channels", 64, in: ModuleArguments.positive), o = try a.int("out_channels", c)
            guard o == c else { throw ModuleArgumentError("argument out_channels=\(o) of gam must equal in_channels=\(c)") }
            let module = GAMAttention(inChannels: c, outChannels: o, rate: try a.int("rate", 4, in: 1...c),
                                      channelSigmoid: try a.bool("channel_sigmoid", false))
            return ZooInstance(module: module, inputShape: [nil, c, nil, nil])
        },
    ]

    /// BAMBlock with the reference's padding 1: each dilated 3×3 conv takes 2·dia_val − 2 off H and W,
    /// and the spatial gate must end at 1×1 (or keep the input's size, for dia_val 1) to broadcast.
    static func bamBlockGateFits(diaVal dia: Int) -> @Sendable ([Int]) -> String? {
        { shape in
            let shrink = 3 * (2 * dia - 2), h = shape[2], w = shape[3]
            if shrink == 0 || (h - shrink == 1 && w - shrink == 1) { return nil }
            if h - shrink < 1 || w - shrink < 1 {
                return "input of shape \(shape) is too small: with dia_val=\(dia) and the reference's padding 1 the dilated convs "
                    + "take \(shrink) off H and W (use --arg paper_padding=1)"
            }
            return "input of shape \(shape): with dia_val=\(dia) and the reference's padding 1 the spatial gate is "
                + "\(h - shrink)×\(w - shrink), which broadcasts only for \(shrink + 1)×\(shrink + 1) inputs (use --arg paper_padding=1)"
        }
    }
}
