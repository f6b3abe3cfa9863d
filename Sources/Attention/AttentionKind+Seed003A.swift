/// Registry rows of the seed-003 group-A modules (DCN v2, STN, non-local, ViT, RAM).
extension AttentionKind {
    static let seed003AEntries: [ZooEntry] = [
        ZooEntry(key: "dcn", catalogueID: "D21", className: "ModulatedDeformConv2dPack",
                 paper: "Deformable ConvNets v2: More Deformable, Better Results (CVPR 2019)",
                 reference: "mmcv mmcv/ops/modulated_deform_conv.py ModulatedDeformConv2dPack (torchvision deform_conv2d sampling)",
                 shapeContract: "(N, in, H, W) → (N, out, Ho, Wo)", seedShape: [2, 64, 28, 28]) { a in
            let cin = try a.int("in_channels", 64), cout = try a.int("out_channels", 64), k = try a.int("kernel_size", 3)
            let stride = try a.int("stride", 1), padding = try a.int("padding", 1), dilation = try a.int("dilation", 1)
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
                               inputShape: [nil, cin, nil, nil])
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
    ]

    private static func positive(_ v: Int, _ name: String, _ key: String) throws {
        guard v > 0 else { throw ModuleArgumentError("argument \(name)=\(v) of \(key) must be positive") }
    }
}
