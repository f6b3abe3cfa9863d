import Foundation
import NN
import TensorCore
import TensorIO
import TestSupport
import Testing
@testable import Attention
@testable import Backbones

/// torchvision's constructor options, loading, freezing, norm_eval, Precise BN on a backbone.
@Suite struct BackboneOptionsTests {
    /// A state dict with exactly PyTorch's keys, shapes and dtypes (from the golden list).
    func torchState(_ name: String, drop: (String) -> Bool = { _ in false }) throws -> [(key: String, array: HostArray)] {
        let golden = try #require(try Fixture(name).json("state_keys") as? [[Any]])
        return golden.compactMap { g in
            let key = g[0] as! String, shape = (g[1] as! [Any]).map { ($0 as! NSNumber).intValue }
            if drop(key) { return nil }
            let n = shape.reduce(1, *)
            return (key, (g[2] as! String) == "int64" ? HostArray(int64: [Int64](repeating: 3, count: n), shape: shape)
                                                      : HostArray(float32: DeterministicWeights.uniform(key: key, count: n), shape: shape))
        }
    }

    @Test("a torchvision-keyed state dict loads strictly and unchanged", arguments: ["resnet50", "resnest50d", "se_resnet50", "sknet50"])
    func strictLoad(_ name: String) throws {
        let net = try BackboneKind.build(name)
        let state = try torchState(name)
        try net.loadStateDict(state, strict: true, source: name)
        let ours = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.key, $0.value.scalars) })
        for (key, a) in state { #expect(ours[key] == a.asFloat32(), "\(key) changed on load") }
    }

    @Test("base_channels (mmdetection's): narrow networks with torchvision's keys; the default is torchvision's width")
    func baseChannels() throws {
        let narrow = try BackboneKind.build("resnet18", arguments: ModuleArguments(module: "resnet18", values: ["base_channels": "16", "features_only": "true"]))
        #expect(narrow.stageChannels == [16, 32, 64, 128])
        let wide = try BackboneKind.build("resnet18", arguments: ModuleArguments(module: "resnet18", values: ["features_only": "true"]))
        #expect(wide.stageChannels == [64, 128, 256, 512])
        #expect(narrow.stateDict().map(\.key) == wide.stateDict().map(\.key))
        // Every conv and norm is 1/4 as wide: weights of 3×3 convs 1/16, the stem's 1/4 (3 input channels).
        let n = Dictionary(uniqueKeysWithValues: narrow.stateDict().map { ($0.key, $0.value.shape) })
        #expect(n["conv1.weight"] == [16, 3, 7, 7] && n["layer3.0.conv2.weight"] == [64, 64, 3, 3] && n["layer4.0.downsample.0.weight"] == [128, 64, 1, 1])
        let x = RandomGenerator.withSeed(1) { Tensor.randn([1, 3, 64, 96]) }
        #expect(narrow.features(x).map(\.shape) == [[1, 16, 16, 24], [1, 32, 8, 12], [1, 64, 4, 6], [1, 128, 2, 3]])
        let bottleneck = try BackboneKind.build("resnet50", arguments: ModuleArguments(module: "resnet50", values: ["base_channels": "32", "features_only": "true"]))
        #expect(bottleneck.stageChannels == [128, 256, 512, 1024])
        for (name, value) in [("resnet18", "3"), ("resnet18", "2000"), ("sknet50", "32")] {
            #expect(throws: BackboneError.self) {
                try BackboneKind.build(name, arguments: ModuleArguments(module: name, values: ["base_channels": value]))
            }
        }
    }

    @Test("torchvision resnet50 weights into the pretrained-safe CBAM ResNet: exactly the CBAM keys missing")
    func cbamSafePartialLoad() throws {
        let net = try BackboneKind.build("cbam_resnet50_safe")
        let before = net.stateDict()
        let state = try torchState("resnet50")
        do {
            try net.loadStateDict(state, strict: true, source: "resnet50.safetensors")
            Issue.record("strict load of plain resnet50 weights succeeded")
        } catch let e as StateDictError {
            #expect(Set(e.missing) == Set(before.map(\.key).filter { ["ca.", "sa.", "ca1.", "sa1."].contains(where: $0.hasPrefix) }))
            #expect(e.unexpected.isEmpty && e.mismatched.isEmpty)
        }
        try net.loadStateDict(state, strict: false, source: "resnet50.safetensors")
        let after = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.key, $0.value.scalars) })
        let given = Dictionary(uniqueKeysWithValues: state.map { ($0.key, $0.array.asFloat32()) })
        for e in before {
            #expect(after[e.key] == (given[e.key] ?? e.value.scalars), "\(e.key)")
        }
    }

    @Test("a state dict with a missing, an extra and a mis-shaped key names all three")
    func badWeights() throws {
        let net = try BackboneKind.build("resnet18")
        var state = try torchState("resnet18", drop: { $0 == "layer2.0.bn1.bias" })
        state.append((key: "layer9.weight", array: HostArray(float32: [1], shape: [1])))
        state[0] = (key: state[0].key, array: HostArray(float32: [Float](repeating: 0, count: 64 * 3 * 3 * 3), shape: [64, 3, 3, 3]))
        do {
            try net.loadStateDict(state, strict: true, source: "w.safetensors")
            Issue.record("accepted")
        } catch {
            let s = "\(error)"
            #expect(s.contains("layer2.0.bn1.bias") && s.contains("layer9.weight") && s.contains("conv1.weight expects [64, 3, 7, 7]"), "\(s)")
        }
    }

    @Test("FrozenBatchNorm2d: eval BatchNorm2d's numbers, no gradients to its buffers, BatchNorm state dicts load")
    func frozenBN() throws {
        let net = try BackboneKind.build("resnet18", arguments: ModuleArguments(module: "resnet18", values: ["norm_layer": "FrozenBatchNorm2d"]))
        #expect(net.namedModules().contains { $0.1 is FrozenBatchNorm2d })
        #expect(!net.stateKeys.contains { $0.hasSuffix("num_batches_tracked") })
        try net.loadStateDict(try torchState("resnet18"), strict: true, source: "resnet18 (BatchNorm2d keys)")
        let plain = try BackboneKind.build("resnet18")
        try plain.loadStateDict(try torchState("resnet18"), strict: true, source: "resnet18")
        plain.eval(); net.train()
        let x = RandomGenerator.withSeed(4) { Tensor.randn([2, 3, 64, 64]) }
        expectClose(net(x), withNoGrad { plain(x) }, rtol: 1e-4, atol: 1e-4, "frozen BN in train mode = BatchNorm2d in eval")
    }

    @Test("frozen_stages, trainable_layers and norm_eval")
    func freezing() throws {
        let net = try BackboneKind.build("resnet50", arguments: ModuleArguments(module: "resnet50", values: ["frozen_stages": "1", "norm_eval": "1"]))
        net.train()
        for (k, p) in net.namedParameters() {
            let frozen = k.hasPrefix("conv1") || k.hasPrefix("bn1") || k.hasPrefix("layer1.")
            #expect(p.requiresGrad == !frozen, "\(k)")
        }
        #expect(net.namedModules().allSatisfy { !($0.1 is BatchNormBase) || !$0.1.training })
        #expect(net.layer2.training && !net.layer1.training)
        let x = RandomGenerator.withSeed(5) { Tensor.randn([2, 3, 64, 64]) }
        let before = net.bn1.stateDict().map(\.value.scalars)
        net(x).sum().backward()
        #expect((net.conv1 as! Conv2d).weight.grad == nil && net.layer2[0].namedParameters().allSatisfy { $0.1.grad != nil })
        #expect(net.bn1.stateDict().map(\.value.scalars) == before, "norm_eval: running statistics changed")
        let tv = try BackboneKind.build("resnet50", arguments: ModuleArguments(module: "resnet50", values: ["trainable_layers": "3"]))
        for (k, p) in tv.namedParameters() {
            #expect(p.requiresGrad == ["layer2", "layer3", "layer4"].contains(where: k.hasPrefix), "\(k)")
        }
        #expect(tv.namedParameters().filter { $0.1.requiresGrad }.allSatisfy { ["layer2", "layer3", "layer4"].contains(where: $0.0.hasPrefix) })
    }

    @Test("zero_init_residual zeroes each block's last BN weight; default init is He fan-out")
    func initialisation() throws {
        let net = try RandomGenerator.withSeed(0) {
            try BackboneKind.build("resnet50", arguments: ModuleArguments(module: "resnet50", values: ["zero_init_residual": "True"]))
        }
        for block in net.layer2.layers { #expect(((block as! Bottleneck).bn3 as! BatchNorm2d).weight!.value.scalars.allSatisfy { $0 == 0 }) }
        let w = net.layer3[0].namedParameters().first { $0.0 == "conv2.weight" }!.1.value.scalars
        let std = (w.reduce(0) { $0 + $1 * $1 } / Float(w.count)).squareRoot()
        #expect(abs(std - (2.0 / Float(256 * 9)).squareRoot()) < 0.05 * (2.0 / Float(256 * 9)).squareRoot())
    }

    @Test("bad inputs and options answer one line", arguments: [
        ("resnet18", ["frozen_stages": "7"], "frozen_stages=7"), ("resnet18", ["groups": "2"], "BasicBlock only supports groups=1"),
        ("resnet34", ["replace_stride_with_dilation": "0,0,1"], "does not support dilation"), ("nonet", [:], "unknown backbone 'nonet'"),
        ("resnet50", ["norm_layer": "GroupNorm"], "norm_layer"), ("resnet50", ["trainable_layers": "6"], "trainable_layers 6"),
        ("resnet50", ["num_classes": "0"], "num_classes"), ("resnet50", ["colour": "red"], "unknown argument colour"),
    ])
    func badOptions(_ name: String, _ args: [String: String], _ expected: String) {
        do {
            _ = try BackboneKind.build(name, arguments: ModuleArguments(module: name, values: args))
            Issue.record("\(name) \(args) accepted")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("input checks: channels, size below the total stride")
    func inputChecks() throws {
        let net = try BackboneKind.build("resnet18")
        #expect(net.inputMismatch([1, 4, 64, 64])?.contains("4 channels") == true)
        #expect(net.inputMismatch([1, 3, 31, 64])?.contains("total stride 32") == true)
        #expect(net.inputMismatch([1, 3, 32, 32]) == nil)
        #expect(try BackboneKind.build("seed_resnext50_32x4d").stageStrides == [8, 16, 32, 64])
        #expect(try BackboneKind.build("sknet50").stageStrides == [4, 8, 16, 32])
    }

    @Test("replace_stride_with_dilation keeps C5 at stride 16 with torchvision's dilations")
    func dilation() throws {
        let net = try BackboneKind.build("resnet50", arguments: ModuleArguments(module: "resnet50", values: ["replace_stride_with_dilation": "0,0,1"]))
        #expect(net.stageStrides == [4, 8, 16, 16])
        let b = net.layer4[1] as! Bottleneck
        #expect(b.conv2.dilation == (2, 2) && (net.layer4[0] as! Bottleneck).conv2.dilation == (1, 1))
    }

    @Test("Precise BN (A2) on a backbone: stem statistics = the true average over the K batches")
    func preciseBN() throws {
        let net = try RandomGenerator.withSeed(0) { try BackboneKind.build("resnet18") }
        let batches = (0..<3).map { i in RandomGenerator.withSeed(UInt64(10 + i)) { Tensor.randn([4, 3, 40, 40]) * Float(1 + i) } }
        PreciseBN.update(net, batches: batches)
        let bn = net.bn1 as! BatchNorm2d
        // Population mean over all batches and the mean of the per-batch unbiased variances of conv1's output.
        var mean = [Double](repeating: 0, count: 64), variance = [Double](repeating: 0, count: 64)
        for b in batches {
            let y = withNoGrad { net.conv1(b) }
            let n = y.shape[0], hw = y.shape[2] * y.shape[3], s = y.scalars
            for c in 0..<64 {
                var vals: [Double] = []
                for i in 0..<n { for j in 0..<hw { vals.append(Double(s[(i * 64 + c) * hw + j])) } }
                let m = vals.reduce(0, +) / Double(vals.count)
                mean[c] += m / 3
                variance[c] += vals.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(vals.count - 1) / 3
            }
        }
        expectClose(bn.runningMean!.value, Tensor(mean.map(Float.init), shape: [64]), rtol: 1e-4, atol: 1e-5, "running mean")
        expectClose(bn.runningVar!.value, Tensor(variance.map(Float.init), shape: [64]), rtol: 1e-4, atol: 1e-5, "running var")
        #expect(bn.numBatchesTracked!.value.scalars == [3])
    }

    @Test("summary counts attention's matrix products: PSA's MACs exceed its conv layers'")
    func macsOfProducts() throws {
        let plain = try BackboneKind.build("resnet18")
        let x = Tensor.zeros([1, 3, 64, 64])
        let base = ModuleSummary.measure(plain, input: x).totalMACs
        let withPAM = try BackboneKind.build("resnet18", plugins: [try AttentionPlugin(spec: "pam:stages=4")])
        let (rows, total) = ModuleSummary.measure(withPAM, input: x)
        let pamRows = rows.filter { $0.name.hasSuffix("after_conv3") }
        // PAM's energy (HW×HW×C/8) and output (C×HW×HW) products: 2 blocks × (2·2·4·4·(64 + 512))
        #expect(total > base)
        #expect(pamRows.reduce(0) { $0 + $1.macs } > 0, "\(pamRows)")
    }
}
