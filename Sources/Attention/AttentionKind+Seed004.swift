/// Registry rows of the seed-003/004 modules (taxonomy posts with code).
extension AttentionKind {
    static let seed004Entries: [ZooEntry] = [
        ZooEntry(key: "eca-adaptive", catalogueID: "D04", className: "ECALayer",
                 paper: "ECA-Net: Efficient Channel Attention for Deep CNNs (CVPR 2020)",
                 reference: "seed 004 eca_layer; official BangguWu/ECANet (adaptive k)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512), gamma = try a.int("gamma", 2), b = try a.int("b", 1)
            try positive(c, "channel", "eca-adaptive")
            guard gamma != 0 else { throw ModuleArgumentError("argument gamma=0 of eca-adaptive must be non-zero") }
            return ZooInstance(module: ECALayer(channel: c, gamma: gamma, b: b), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "gsop", catalogueID: "D10", className: "GSoP",
                 paper: "Global Second-order Pooling Convolutional Networks (CVPR 2019)",
                 reference: "official ZilinGao/Global-Second-order-Pooling-Convolutional-Networks (Bottleneck.chan_att)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [8, 256, 14, 14]) { a in
            let c = try a.int("channel", 256), d = try a.int("att_dim", 128)
            try positive(c, "channel", "gsop")
            try positive(d, "att_dim", "gsop")
            return ZooInstance(module: GSoP(channel: c, attDim: d), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "srm", catalogueID: "D11", className: "SRMLayer",
                 paper: "SRM: A Style-based Recalibration Module for CNNs (ICCV 2019)",
                 reference: "seed 004 SRMLayer; official hyunjaelee410/style-based-recalibration-module",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), H·W ≥ 2 (unbiased std)", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512)
            try positive(c, "channel", "srm")
            return ZooInstance(module: SRMLayer(channel: c, reduction: try a.optionalInt("reduction", nil)), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "gct", catalogueID: "D12", className: "GCT",
                 paper: "Gated Channel Transformation for Visual Recognition (CVPR 2020)",
                 reference: "seed 004 GCT; official z-x-yang/GCT",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("num_channels", 512)
            try positive(c, "num_channels", "gct")
            let mode = GCT.Mode(rawValue: try a.choice("mode", "l2", GCT.Mode.allCases.map(\.rawValue)))!
            return ZooInstance(module: GCT(numChannels: c, epsilon: try a.float("epsilon", 1e-5), mode: mode,
                                           afterRelu: try a.bool("after_relu", false)), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "fca", catalogueID: "D13", className: "MultiSpectralAttentionLayer",
                 paper: "FcaNet: Frequency Channel Attention Networks (ICCV 2021)",
                 reference: "seed 004 MultiSpectralAttentionLayer; official cfzd/FcaNet model/layer.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C divisible by the number of frequencies", seedShape: [50, 512, 7, 7]) { a in
            let c = try a.int("channel", 512), h = try a.int("dct_h", 7), w = try a.int("dct_w", 7)
            let r = try a.int("reduction", 16)
            let method = try a.choice("freq_sel_method", "top16", MultiSpectralAttentionLayer.frequencyMethods)
            try positive(h, "dct_h", "fca")
            try positive(w, "dct_w", "fca")
            try positive(r, "reduction", "fca")
            let k = Int(method.dropFirst(3))!
            guard c > 0, c % k == 0 else { throw ModuleArgumentError("argument channel=\(c) of fca must be divisible by the \(k) frequencies of \(method)") }
            guard c / r > 0 else { throw ModuleArgumentError("argument reduction=\(r) of fca leaves no hidden units for channel=\(c)") }
            return ZooInstance(module: MultiSpectralAttentionLayer(channel: c, dctH: h, dctW: w, reduction: r, freqSelMethod: method),
                               inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "enc", catalogueID: "D14", className: "EncModule",
                 paper: "Context Encoding for Semantic Segmentation (CVPR 2018)",
                 reference: "seed 004 EncModule; official zhanghang1989/PyTorch-Encoding",
                 shapeContract: "(N, C, H, W) → (N, C, H, W) (+ (N, nclass) SE-loss logits via forwardWithSELoss)",
                 seedShape: [4, 512, 16, 16]) { a in
            let c = try a.int("in_channels", 512), k = try a.int("nclass", 21), codes = try a.int("ncodes", 32)
            try positive(c, "in_channels", "enc")
            try positive(k, "nclass", "enc")
            try positive(codes, "ncodes", "enc")
            return ZooInstance(module: EncModule(inChannels: c, nclass: k, ncodes: codes, seLoss: try a.bool("se_loss", true)),
                               inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "rcan-ca", catalogueID: "D16", className: "CALayer",
                 paper: "Image Super-Resolution Using Very Deep Residual Channel Attention Networks (ECCV 2018)",
                 reference: "seed 004 CALayer; official yulunzhang/RCAN",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [16, 64, 48, 48]) { a in
            let c = try a.int("channel", 64), r = try a.int("reduction", 16)
            try reduced(c, r, "rcan-ca")
            return ZooInstance(module: CALayer(channel: c, reduction: r), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "dia", catalogueID: "D17", className: "DIAStage",
                 paper: "DIANet: Dense-and-Implicit Attention Network (AAAI 2020)",
                 reference: "seed 004 DIA_Attention (stage with shared LSTMCell)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [8, 64, 32, 32]) { a in
            let c = try a.int("channel", 64), n = try a.int("blocks", 3)
            try positive(c, "channel", "dia")
            try positive(n, "blocks", "dia")
            return ZooInstance(module: DIAStage(channel: c, blocks: n), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "soca", catalogueID: "D18", className: "SOCA",
                 paper: "Second-order Attention Network for Single Image Super-Resolution (CVPR 2019)",
                 reference: "seed 004 SOCA; official daitao/SAN (MPN-COV)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [16, 64, 48, 48]) { a in
            let c = try a.int("channel", 64), r = try a.int("reduction", 8)
            try reduced(c, r, "soca")
            return ZooInstance(module: SOCA(channel: c, reduction: r), inputShape: [nil, c, nil, nil])
        },
    ]

    private static func positive(_ v: Int, _ name: String, _ key: String) throws {
        guard v > 0 else { throw ModuleArgumentError("argument \(name)=\(v) of \(key) must be positive") }
    }

    private static func reduced(_ c: Int, _ r: Int, _ key: String) throws {
        try positive(c, "channel", key)
        try positive(r, "reduction", key)
        guard c / r > 0 else { throw ModuleArgumentError("argument reduction=\(r) of \(key) leaves no hidden channels for channel=\(c)") }
    }
}
