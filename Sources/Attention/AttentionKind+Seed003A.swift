/// Registry rows of the seed-003 group-A modules (DCN v2, STN, non-local, ViT, RAM).
extension AttentionKind {
    static let seed003AEntries: [ZooEntry] = [
        ZooEntry(key: "dcn", catalogueID: "D21", className: "ModulatedDeformConv2dPack",
                 paper: "Deformable ConvNets v2: More Deformable, Better Results (CVPR 2019)",
                 reference: "mmcv mmcv/ops/modulated_deform_conv.py ModulatedDeformConv2dPack (torchvision deform_conv2d sampling)",
                 shapeContract: "(N, in, H, W) → (N, out, Ho, Wo)", seedShape: [2, 64, 28, 28]) { a in
            let cin = try a.int("in_channels", 64), cout = try a.int("out_channels", 64), k = try a.int("kernel_size", 3, in: 1...ModuleArguments.maximumKernel)
            let stride = try a.int("stride", 1), padding = try a.int("padding", 1, in: 0...ModuleArguments.maximumKernel), dilation = try a.int("dilation", 1, in: 1...ModuleArguments.maximumKernel)
            let groups = try a.int("groups", 1), dg = try a.int("deform_groups", 1)
            for (v, n) in [(cin, "in_channels"), (cout, "out_channels"), (k, "kernel_size"), (stride, "stride"),
                           (dilation, "dilation"), (groups, "groups"), (dg, "deform_groups")] { try positive(v, n, "dcn") }
            guard padding >= 0 else { throw ModuleArgumentError("argument padding=\(padding) of dcn must be non-negative") }
            guard cin % groups == 0, cout % groups == 0 else {
                throw ModuleArgumentError("argument groups=\(groups) of dcn must divide in_channels=\(cin) and out_channels=\(cout)")
            }
            guard cin % dg == 0 else { throw ModuleArgumentError("argument deform_groups=\(dg) of dcn must divide in_channels=\(cin)") }
            return ZooInstance(module: ModulatedDeformConv2dPack(inChannels: cin, outChannels: cout, kernelSize: k, stride: stride,
                                                                padding: padding, dilation: dilation, groups: groups,
                                                                deformGroups: dg, bias: try a.bool("bias", true)),
                               inputShape: [nil, cin, nil, nil],
                               requirement: ZooInstance.convolutionFits(kernel: k, padding: padding, dilation: dilation))
        },
        ZooEntry(key: "stn", catalogueID: "D20", className: "STN",
                 paper: "Spatial Transformer Networks (NeurIPS 2015)",
                 reference: "PyTorch spatial transformer tutorial (Net.localization / fc_loc / stn), parameterised by in_channels and size",
                 shapeContract: "(N, C, size, size) → (N, C, size, size), size ≥ 18", seedShape: [64, 1, 28, 28]) { a in
            let c = try a.int("in_channels", 1), size = try a.int("size", 28)
            try positive(c, "in_channels", "stn")
            guard size >= 18 else { throw ModuleArgumentError("argument size=\(size) of stn must be at least 18 (the localisation network needs it)") }
            return ZooInstance(module: STN(inChannels: c, size: size), inputShape: [nil, c, size, size])
        },
        ZooEntry(key: "non-local", catalogueID: "D22", className: "NONLocalBlock2D",
                 paper: "Non-local Neural Networks (CVPR 2018)",
                 reference: "AlexHex7/Non-local_pytorch lib/non_local_embedded_gaussian.py NONLocalBlock2D (embedded Gaussian)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), H, W ≥ 2 with sub_sample", seedShape: [2, 512, 28, 28]) { a in
            let c = try a.int("in_channels", 512), ic = try a.optionalInt("inter_channels", nil)
            try positive(c, "in_channels", "non-local")
            if let ic { try positive(ic, "inter_channels", "non-local") }
            return ZooInstance(module: NONLocalBlock2D(inChannels: c, interChannels: ic, subSample: try a.bool("sub_sample", true),
                                                       bnLayer: try a.bool("bn_layer", true)),
                               inputShape: [nil, c, nil, nil])
        },
        ZooEntry(key: "vit", catalogueID: "D23", className: "VisionTransformer",
                 paper: "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale (ICLR 2021)",
                 reference: "timm timm/models/vision_transformer.py VisionTransformer (class-token pooling)",
                 shapeContract: "(N, in_chans, img_size, img_size) → (N, num_classes)", seedShape: [8, 3, 32, 32]) { a in
            let img = try a.int("img_size", 32), patch = try a.int("patch_size", 8), c = try a.int("in_chans", 3)
            let classes = try a.int("num_classes", 10), dim = try a.int("embed_dim", 64), depth = try a.int("depth", 2)
            let heads = try a.int("num_heads", 4), ratio = try a.float("mlp_ratio", 4)
            for (v, n) in [(img, "img_size"), (patch, "patch_size"), (c, "in_chans"), (classes, "num_classes"), (dim, "embed_dim"),
                           (depth, "depth"), (heads, "num_heads")] { try positive(v, n, "vit") }
            guard img % patch == 0 else { throw ModuleArgumentError("argument patch_size=\(patch) of vit must divide img_size=\(img)") }
            guard dim % heads == 0 else { throw ModuleArgumentError("argument num_heads=\(heads) of vit must divide embed_dim=\(dim)") }
            guard ratio > 0, Int(Float(dim) * ratio) > 0 else { throw ModuleArgumentError("argument mlp_ratio=\(ratio) of vit must be positive") }
            return ZooInstance(module: VisionTransformer(imgSize: img, patchSize: patch, inChans: c, numClasses: classes, embedDim: dim,
                                                         depth: depth, numHeads: heads, mlpRatio: ratio, qkvBias: try a.bool("qkv_bias", true)),
                               inputShape: [nil, c, img, img])
        },
        ZooEntry(key: "ram", catalogueID: "D19", className: "RecurrentAttention",
                 paper: "Recurrent Models of Visual Attention (NeurIPS 2014)",
                 reference: "kevinzakka/recurrent-visual-attention model.py / modules.py RecurrentAttention (deterministic: l_t = mean, l_0 = 0)",
                 shapeContract: "(N, c, H, W) → (N, num_classes) log-probabilities", seedShape: [32, 1, 28, 28]) { a in
            let g = try a.int("g", 8), k = try a.int("k", 3), s = try a.float("s", 2), c = try a.int("c", 1)
            let hG = try a.int("h_g", 128), hL = try a.int("h_l", 128), hidden = try a.int("hidden_size", 256)
            let classes = try a.int("num_classes", 10), glimpses = try a.int("num_glimpses", 6)
            _ = try a.float("std", 0.05)
            for (v, n) in [(g, "g"), (k, "k"), (c, "c"), (hG, "h_g"), (hL, "h_l"), (hidden, "hidden_size"), (classes, "num_classes"),
                           (glimpses, "num_glimpses")] { try positive(v, n, "ram") }
            guard hidden == hG + hL else {
                throw ModuleArgumentError("argument hidden_size=\(hidden) of ram must equal h_g + h_l = \(hG + hL) (the core's input is the glimpse)")
            }
            guard hidden >= 2 else { throw ModuleArgumentError("argument hidden_size=\(hidden) of ram must be at least 2") }
            guard s.isFinite, s >= 1 else { throw ModuleArgumentError("argument s=\(s) of ram must be at least 1") }
            let sizes = RecurrentAttention.GlimpseNetwork.patchSizes(g: g, k: k, s: s)
            guard sizes.allSatisfy({ $0 % g == 0 && $0 % 2 == 0 }) else {
                throw ModuleArgumentError("arguments g=\(g), s=\(s) of ram give patch sizes \(sizes): each must be even and a multiple of g")
            }
            return ZooInstance(module: RecurrentAttention(g: g, k: k, s: s, c: c, hG: hG, hL: hL, hiddenSize: hidden,
                                                          numClasses: classes, numGlimpses: glimpses),
                               inputShape: [nil, c, nil, nil])
        },
    ]

    private static func positive(_ v: Int, _ name: String, _ key: String) throws {
        guard v > 0 else { throw ModuleArgumentError("argument \(name)=\(v) of \(key) must be positive") }
    }
}
