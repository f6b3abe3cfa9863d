/// Registry rows of the seed-003 group-B1 modules (official implementations or the papers' equations; seed 003
/// gives formulas only). PyTorch references: scripts/fixtures/zoo_seed003B1.py.
extension AttentionKind {
    static let seed003B1Entries: [ZooEntry] = [
        ZooEntry(key: "highway", catalogueID: "D27", className: "Highway",
                 paper: "Highway Networks / Training Very Deep Networks (Srivastava et al., 2015)",
                 reference: "the paper's equations (no official code); scripts/fixtures/zoo_seed003B1.py Highway",
                 shapeContract: "(N, size) → (N, size)", seedShape: [256, 1024]) { a in
            let size = try a.int("size", 1024), layers = try a.int("num_layers", 1)
            let bias = try a.float("gate_bias", -1)
            try positive003B1(size, "size", "highway")
            try positive003B1(layers, "num_layers", "highway")
            return ZooInstance(module: Highway(size: size, numLayers: layers, gateBias: bias), inputShape: [nil, size])
        },
        ZooEntry(key: "ge", catalogueID: "D24", className: "GatherExcite",
                 paper: "Gather-Excite: Exploiting Feature Context in Convolutional Neural Networks (NeurIPS 2018)",
                 reference: "timm 1.0.31 timm/layers/gather_excite.py GatherExcite (two fixes, see the doc comment)",
                 shapeContract: "(N, C, H, W) → (N, C, H, W), C = channels; H×W = feat_size for extent 0 with extra_params",
                 seedShape: [8, 256, 28, 28]) { a in
            let c = try a.int("channels", 256), extent = try a.int("extent", 0)
            let extra = try a.bool("extra_params", false), featSize = try a.ints("feat_size", [])
            let useMlp = try a.bool("use_mlp", true), ratio = try a.float("rd_ratio", 1.0 / 16)
            let rdChannels = try a.optionalInt("rd_channels", nil), divisor = try a.int("rd_divisor", 1)
            let addMaxpool = try a.bool("add_maxpool", false)
            try positive003B1(c, "channels", "ge")
            guard extent >= 0, extent % 2 == 0 else {
                throw ModuleArgumentError("argument extent=\(extent) of ge must be 0 (global) or a positive even number")
            }
            guard ratio > 0 else { throw ModuleArgumentError("argument rd_ratio=\(ratio) of ge must be positive") }
            try positive003B1(divisor, "rd_divisor", "ge")
            if let rdChannels, rdChannels < 0 {
                throw ModuleArgumentError("argument rd_channels=\(rdChannels) of ge must not be negative (0 or None: from rd_ratio)")
            }
            var fs: (Int, Int)?
            if !featSize.isEmpty {
                guard featSize.count <= 2, featSize.allSatisfy({ $0 > 0 }) else {
                    throw ModuleArgumentError("argument feat_size of ge expects one or two positive integers, got \(featSize)")
                }
                fs = (featSize[0], featSize[featSize.count - 1])
            }
            if extra && extent == 0 && fs == nil {
                throw ModuleArgumentError("argument feat_size of ge is required for extent 0 with extra_params (the gather conv spans the map)")
            }
            let module = GatherExcite(channels: c, featSize: fs, extraParams: extra, extent: extent, useMlp: useMlp,
                                      rdRatio: exactDecimal003B1(ratio), rdChannels: rdChannels, rdDivisor: divisor,
                                      addMaxpool: addMaxpool)
            let shape: [Int?] = extra && extent == 0 ? [nil, c, fs!.0, fs!.1] : [nil, c, nil, nil]
            return ZooInstance(module: module, inputShape: shape)
        },
        ZooEntry(key: "condconv", catalogueID: "D28", className: "CondConv",
                 paper: "CondConv: Conditionally Parameterized Convolutions for Efficient Inference (NeurIPS 2019)",
                 reference: "timm 1.0.31 timm/layers/cond_conv2d.py CondConv2d + CondConvResidual's routing_fn (σ(Linear(GAP)))",
                 shapeContract: "(N, in_channels, H, W) → (N, out_channels, H', W'), H', W' as Conv2d", seedShape: [8, 64, 28, 28]) { a in
            let cin = try a.int("in_channels", 64), cout = try a.int("out_channels", 64), k = try a.int("kernel_size", 3, in: 1...ModuleArguments.maximumKernel)
            let stride = try a.int("stride", 1), padding = try a.optionalInt("padding", nil, in: 0...ModuleArguments.maximumKernel), dilation = try a.int("dilation", 1, in: 1...ModuleArguments.maximumKernel)
            let groups = try a.int("groups", 1), bias = try a.bool("bias", false), experts = try a.int("num_experts", 4)
            for (v, name) in [(cin, "in_channels"), (cout, "out_channels"), (k, "kernel_size"), (stride, "stride"),
                              (dilation, "dilation"), (groups, "groups"), (experts, "num_experts")] {
                try positive003B1(v, name, "condconv")
            }
            if let padding, padding < 0 { throw ModuleArgumentError("argument padding=\(padding) of condconv must not be negative") }
            guard cin % groups == 0, cout % groups == 0 else {
                throw ModuleArgumentError("argument groups=\(groups) of condconv must divide in_channels=\(cin) and out_channels=\(cout)")
            }
            let module = CondConv(inChannels: cin, outChannels: cout, kernelSize: k, stride: stride, padding: padding,
                                  dilation: dilation, groups: groups, bias: bias, numExperts: experts)
            return ZooInstance(module: module, inputShape: [nil, cin, nil, nil],
                               requirement: ZooInstance.convolutionFits(kernel: k, padding: module.conv.padding.0, dilation: dilation))
        },
        ZooEntry(key: "dynconv", catalogueID: "D29", className: "DynamicConv2d",
                 paper: "Dynamic Convolution: Attention over Convolution Kernels (CVPR 2020)",
                 reference: "official kaijieshi7/Dynamic-convolution-Pytorch dynamic_conv.py Dynamic_conv2d + attention2d",
                 shapeContract: "(N, in_planes, H, W) → (N, out_planes, H', W'), H', W' as Conv2d", seedShape: [8, 64, 28, 28]) { a in
            let cin = try a.int("in_planes", 64), cout = try a.int("out_planes", 64), k = try a.int("kernel_size", 3, in: 1...ModuleArguments.maximumKernel)
            let ratio = try a.float("ratio", 0.25), stride = try a.int("stride", 1), padding = try a.int("padding", 0, in: 0...ModuleArguments.maximumKernel)
            let dilation = try a.int("dilation", 1, in: 1...ModuleArguments.maximumKernel), groups = try a.int("groups", 1), bias = try a.bool("bias", true)
            let kernels = try a.int("K", 4), temperature = try a.int("temperature", 34)
            for (v, name) in [(cin, "in_planes"), (cout, "out_planes"), (k, "kernel_size"), (stride, "stride"),
                              (dilation, "dilation"), (groups, "groups"), (kernels, "K")] {
                try positive003B1(v, name, "dynconv")
            }
            guard padding >= 0 else { throw ModuleArgumentError("argument padding=\(padding) of dynconv must not be negative") }
            guard cin % groups == 0, cout % groups == 0 else {
                throw ModuleArgumentError("argument groups=\(groups) of dynconv must divide in_planes=\(cin) and out_planes=\(cout)")
            }
            guard temperature > 0, temperature % 3 == 1 else {
                throw ModuleArgumentError("argument temperature=\(temperature) of dynconv must be a positive integer ≡ 1 mod 3 (1, 4, …, 34: the reference anneals it by 3 down to 1)")
            }
            let r = exactDecimal003B1(ratio)
            guard ratio > 0, cin == 3 || Int(Double(cin) * r) > 0 else {
                throw ModuleArgumentError("argument ratio=\(ratio) of dynconv leaves no hidden channels for in_planes=\(cin) (int(in_planes·ratio) = 0)")
            }
            let module = DynamicConv2d(inPlanes: cin, outPlanes: cout, kernelSize: k, ratio: r, stride: stride, padding: padding,
                                       dilation: dilation, groups: groups, bias: bias, k: kernels, temperature: temperature)
            return ZooInstance(module: module, inputShape: [nil, cin, nil, nil], requirement: ZooInstance.convolutionFits(kernel: k, padding: padding, dilation: dilation))
        },
    ]

    private static func positive003B1(_ v: Int, _ name: String, _ key: String) throws {
        guard v > 0 else { throw ModuleArgumentError("argument \(name)=\(v) of \(key) must be positive") }
    }

    /// The decimal the user wrote, as Python's double: a Float's shortest description round-trips it, so
    /// `int(64 · 0.7)`-style channel counts agree with the reference.
    private static func exactDecimal003B1(_ v: Float) -> Double { Double(v.description) ?? Double(v) }
}
