/// Registry rows of the seed-003 group-C modules (official implementations; seed 003 gives formulas only).
extension AttentionKind {
    static let seed003CEntries: [ZooEntry] = [
        ZooEntry(key: "simam", catalogueID: "D33", className: "SimAM",
                 paper: "SimAM: A Simple, Parameter-Free Attention Module for CNNs (ICML 2021)",
                 reference: "official ZjjConan/SimAM simam_module",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), H·W ≥ 2", seedShape: [8, 256, 28, 28]) { a in
            let c = try a.optionalInt("channels", nil)
            if let c { try positive003C(c, "channels", "simam") }
            let lambda = try a.float("e_lambda", 1e-4)
            guard lambda >= 0 else { throw ModuleArgumentError("argument e_lambda=\(lambda) of simam must not be negative") }
            return ZooInstance(module: SimAM(channels: c, eLambda: lambda), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "scse", catalogueID: "D31", className: "SCSEModule",
                 paper: "Concurrent Spatial and Channel Squeeze & Excitation in Fully Convolutional Networks (MICCAI 2018)",
                 reference: "segmentation_models_pytorch SCSEModule (keys, add fusion); max/mul/concat fusions of the paper",
                 shapeContract: "(N, C, H, W) → (N, C, H, W); mode concat → (N, 2C, H, W)", seedShape: [8, 64, 28, 28]) { a in
            let c = try a.int("in_channels", 64), r = try a.int("reduction", 16)
            try reduced003C(c, r, "in_channels", "scse")
            let mode = SCSEModule.Mode(rawValue: try a.choice("mode", "add", SCSEModule.Mode.allCases.map(\.rawValue)))!
            return ZooInstance(module: SCSEModule(inChannels: c, reduction: r, mode: mode), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "pam", catalogueID: "D34", className: "PAMModule",
                 paper: "Dual Attention Network for Scene Segmentation (CVPR 2019)",
                 reference: "official junfu1115/DANet encoding/nn/da_att.py PAM_Module",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C = in_dim", seedShape: [2, 512, 28, 28]) { a in
            let c = try a.int("in_dim", 512)
            guard c >= 8 else { throw ModuleArgumentError("argument in_dim=\(c) of pam must be at least 8 (query/key use in_dim // 8 channels)") }
            return ZooInstance(module: PAMModule(inDim: c), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "cam", catalogueID: "D34", className: "CAMModule",
                 paper: "Dual Attention Network for Scene Segmentation (CVPR 2019)",
                 reference: "official junfu1115/DANet encoding/nn/da_att.py CAM_Module",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), any C (in_dim is unused, as in the reference)",
                 seedShape: [2, 512, 28, 28]) { a in
            let c = try a.int("in_dim", 512)
            try positive003C(c, "in_dim", "cam")
            return ZooInstance(module: CAMModule(inDim: c), inputShape: [nil, nil, nil, nil])
        },
        ZooEntry(key: "triplet", catalogueID: "D32", className: "TripletAttention",
                 paper: "Rotate to Attend: Convolutional Triplet Attention Module (WACV 2021)",
                 reference: "official landskape-ai/triplet-attention MODELS/triplet_attention.py",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [8, 256, 28, 28]) { a in
            ZooInstance(module: TripletAttention(noSpatial: try a.bool("no_spatial", false)), inputShape: [nil, nil, nil, nil])
        },
        ZooEntry(key: "strip-pool", catalogueID: "D36", className: "StripPooling",
                 paper: "Strip Pooling: Rethinking Spatial Pooling for Scene Parsing (CVPR 2020)",
                 reference: "official Andrew-Qibin/SPNet models/customize.py StripPooling (BatchNorm2d, bilinear align_corners)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C = in_channels divisible by 4", seedShape: [4, 64, 32, 32]) { a in
            let c = try a.int("in_channels", 64), p = try a.ints("pool_size", [20, 12])
            guard c >= 4, c % 4 == 0 else { throw ModuleArgumentError("argument in_channels=\(c) of strip-pool must be a positive multiple of 4") }
            guard p.count == 2, p.allSatisfy({ $0 > 0 }) else {
                throw ModuleArgumentError("argument pool_size of strip-pool expects two positive integers, got \(p)")
            }
            return ZooInstance(module: StripPooling(inChannels: c, poolSize: (p[0], p[1])), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "scconv", catalogueID: "D35", className: "SCConv",
                 paper: "Improving Convolutional Networks with Self-Calibrated Convolutions (CVPR 2020)",
                 reference: "official MCG-NKU/SCNet scnet.py SCConv (norm_layer BatchNorm2d)",
                 shapeContract: "(N, C, H, W) → (N, C, H', W') (k4's stride), C = inplanes = planes, H, W ≥ pooling_r",
                 seedShape: [4, 64, 28, 28]) { a in
            let c = try a.int("inplanes", 64), planes = try a.int("planes", 64)
            let stride = try a.int("stride", 1), padding = try a.int("padding", 1, in: 0...ModuleArguments.maximumKernel), dilation = try a.int("dilation", 1, in: 1...ModuleArguments.maximumKernel)
            let groups = try a.int("groups", 1), r = try a.int("pooling_r", 4)
            for (v, name) in [(c, "inplanes"), (stride, "stride"), (dilation, "dilation"), (groups, "groups"), (r, "pooling_r")] {
                try positive003C(v, name, "scconv")
            }
            guard planes == c else { throw ModuleArgumentError("argument planes=\(planes) of scconv must equal inplanes=\(c) (X + K2(X) needs equal channels)") }
            guard padding == dilation else {
                throw ModuleArgumentError("argument padding=\(padding) of scconv must equal dilation=\(dilation) (K3(X) must keep X's size)")
            }
            guard c % groups == 0 else { throw ModuleArgumentError("argument groups=\(groups) of scconv must divide inplanes=\(c)") }
            return ZooInstance(module: SCConv(inplanes: c, planes: planes, stride: stride, padding: padding, dilation: dilation,
                                              groups: groups, poolingR: r), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "gala", catalogueID: "D37", className: "GALA",
                 paper: "Learning what and where to attend (ICLR 2019)",
                 reference: "the paper's GALA equations (official serre-lab code is TensorFlow); scripts/fixtures/zoo_seed003C.py GALA",
                 shapeContract: "(N, C, H, W) → (N, C, H, W)", seedShape: [8, 512, 14, 14]) { a in
            let c = try a.int("channel", 512), r = try a.int("reduction", 16)
            try reduced003C(c, r, "channel", "gala")
            return ZooInstance(module: GALA(channel: c, reduction: r), inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "bilinear", catalogueID: "D15", className: "BilinearAttention",
                 paper: "Bilinear Attention Networks for Person Retrieval (ICCV 2019)",
                 reference: "official PengfeiFANGanu/Attention-in-Attention-Networks models/bilinear_baseline_AIA.py BilinearAttention",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C = inChannels = outChannels ≥ 16", seedShape: [8, 480, 16, 8]) { a in
            let c = try a.int("inChannels", 480), out = try a.int("outChannels", 480)
            guard c >= 16 else { throw ModuleArgumentError("argument inChannels=\(c) of bilinear must be at least 16 (the pooled width is inChannels // 16)") }
            guard out == c else { throw ModuleArgumentError("argument outChannels=\(out) of bilinear must equal inChannels=\(c) (the mask multiplies the input)") }
            return ZooInstance(module: BilinearAttention(inChannels: c, outChannels: out), inputShape: [nil, c, nil, nil])
        },
    ]

    private static func positive003C(_ v: Int, _ name: String, _ key: String) throws {
        guard v > 0 else { throw ModuleArgumentError("argument \(name)=\(v) of \(key) must be positive") }
    }

    private static func reduced003C(_ c: Int, _ r: Int, _ name: String, _ key: String) throws {
        try positive003C(c, name, key)
        try positive003C(r, "reduction", key)
        guard c / r > 0 else { throw ModuleArgumentError("argument reduction=\(r) of \(key) leaves no hidden channels for \(name)=\(c)") }
    }
}
