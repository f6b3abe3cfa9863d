import Attention
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Checks of the seed-003 group-B1 modules beyond the generic replay: initial gates, key layouts of the
/// non-default configurations, per-example kernels against one-example runs, input contracts and argument
/// validation.
@Suite("seed 003 group B1 modules")
struct Seed003B1Tests {
    func instance(_ key: String, _ args: [String: String] = [:]) throws -> ZooInstance {
        try RandomGenerator.withSeed(11) { try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args)) }
    }

    func build(_ key: String, _ args: [String: String] = [:]) throws -> Module { try instance(key, args).module }

    @Test("D27 Highway: gate biases start at gate_bias; a closed gate carries the input through")
    func highwayGate() throws {
        let m = try #require(try build("highway", ["size": "8", "num_layers": "2", "gate_bias": "-3"]) as? Highway)
        #expect(m.stateKeys == ["nonlinear.0.weight", "nonlinear.0.bias", "nonlinear.1.weight", "nonlinear.1.bias",
                                "gate.0.weight", "gate.0.bias", "gate.1.weight", "gate.1.bias"])
        for case let t as Linear in m.gate.modules { #expect(t.bias!.value.scalars.allSatisfy { $0 == -3 }) }
        let closed = try #require(try build("highway", ["size": "8", "gate_bias": "-60"]) as? Highway)
        let x = Tensor.randn([3, 8])
        expectClose(withNoGrad { closed(x) }, x, rtol: 1e-6, atol: 1e-6, "T ≈ 0 gives y = x")
    }

    @Test("D27 Highway: the fused gate mix equals the composed formula, values and gradients")
    func highwayFusedMatchesComposed() throws {
        let m = try #require(try build("highway", ["size": "6", "num_layers": "2", "gate_bias": "0.5"]) as? Highway)
        let x = Tensor.randn([4, 6]), g = Tensor.randn([4, 6])
        let a = x.requiringGrad(), b = x.requiringGrad()
        let fused = m(a)
        var plain = b
        for (h, t) in zip(m.nonlinear.modules, m.gate.modules) {
            let gate = t(plain).sigmoid()
            plain = h(plain).relu() * gate + plain * (1 - gate)
        }
        expectClose(fused, plain, rtol: 1e-5, atol: 1e-6, "highway values")
        (fused * g).sum().backward()
        (plain * g).sum().backward()
        guard let ga = a.grad, let gb = b.grad else { Issue.record("highway: no input gradient"); return }
        expectClose(ga, gb, rtol: 1e-4, atol: 1e-5, "highway input gradient")
    }

    @Test("D24 GE: extent 0 without parameters or MLP is x·σ(mean), and extent 8 with parameters has three gather convs")
    func geForms() throws {
        let x = Tensor.randn([2, 4, 5, 3])
        let plain = try build("ge", ["channels": "4", "use_mlp": "False"])
        #expect(plain.stateKeys.isEmpty)
        expectClose(withNoGrad { plain(x) }, x * x.mean(axes: [2, 3], keepDims: true).sigmoid(), rtol: 1e-6, atol: 1e-6, "GE-θ⁻ global")
        let deep = try build("ge", ["channels": "8", "extent": "8", "extra_params": "True", "rd_channels": "2"])
        let keys = deep.stateKeys
        #expect(keys.filter { $0.hasSuffix(".weight") && $0.contains("conv") } == ["gather.conv1.weight", "gather.conv2.weight", "gather.conv3.weight"])
        #expect(keys.contains("gather.norm3.num_batches_tracked") && keys.contains("mlp.fc1.bias"))
        #expect(withNoGrad { deep(Tensor.randn([1, 8, 17, 9])) }.shape == [1, 8, 17, 9])
    }

    @Test("D24 GE: hidden width follows timm's make_divisible (round half up, at least the divisor)")
    func geHiddenWidth() throws {
        for (c, ratio, divisor, want) in [(256, "0.0625", "1", 16), (24, "0.0625", "1", 2), (40, "0.0625", "8", 8), (20, "0.25", "2", 6)] {
            let m = try #require(try build("ge", ["channels": "\(c)", "rd_ratio": ratio, "rd_divisor": divisor]) as? GatherExcite)
            #expect(m.mlp?.fc1.weight.shape[0] == want, "channels \(c), ratio \(ratio), divisor \(divisor)")
        }
    }

    /// Runs the module on each example alone and checks the batched output equals the stacked results.
    func expectPerExample(_ m: Module, _ x: Tensor, _ what: String) {
        m.eval()
        let batched = withNoGrad { m(x) }
        let single = (0..<x.shape[0]).map { i in withNoGrad { m(x.slice(axis: 0, start: i, end: i + 1)) } }
        expectClose(batched, Tensor.cat(single, axis: 0), rtol: 1e-5, atol: 1e-5, what)
    }

    @Test("D28 CondConv / D29 DynConv: each example gets its own kernel (batched = one example at a time)")
    func perExampleKernels() throws {
        let x = Tensor.randn([3, 8, 7, 6]) * 2
        expectPerExample(try build("condconv", ["in_channels": "8", "out_channels": "6", "groups": "2", "bias": "True",
                                                "num_experts": "3"]), x, "condconv")
        expectPerExample(try build("dynconv", ["in_planes": "8", "out_planes": "4", "stride": "2", "padding": "1",
                                               "K": "3", "temperature": "1"]), x, "dynconv")
    }

    @Test("D28 CondConv: with one expert it is a convolution with σ(routing)-scaled kernel")
    func condconvOneExpert() throws {
        let m = try #require(try build("condconv", ["in_channels": "4", "out_channels": "5", "num_experts": "1"]) as? CondConv)
        let x = Tensor.randn([2, 4, 6, 5])
        let alpha = withNoGrad { m.routingFn(x.mean(axes: [2, 3])).sigmoid() }      // (2, 1)
        let w = m.conv.weight.value.reshaped([5, 4, 3, 3])
        let want = (0..<2).map { n in
            withNoGrad { x.slice(axis: 0, start: n, end: n + 1).conv2d(weight: w * alpha.scalars[n], padding: (1, 1)) }
        }
        expectClose(withNoGrad { m(x) }, Tensor.cat(want, axis: 0), rtol: 1e-5, atol: 1e-5, "one expert")
    }

    @Test("D29 DynConv: attention rows sum to one; temperature anneals by 3 down to 1")
    func dynconvAttention() throws {
        let m = try #require(try build("dynconv", ["in_planes": "8", "out_planes": "4", "K": "5", "temperature": "7"]) as? DynamicConv2d)
        let pi = withNoGrad { m.attention(Tensor.randn([3, 8, 4, 4])) }
        #expect(pi.shape == [3, 5])
        expectClose(pi.sum(axis: 1), Tensor.ones([3]), rtol: 1e-6, atol: 1e-6, "softmax rows")
        #expect(m.stateKeys == ["weight", "bias", "attention.fc1.weight", "attention.fc2.weight"])
        m.updateTemperature(); #expect(m.attention.temperature == 4)
        m.updateTemperature(); m.updateTemperature(); #expect(m.attention.temperature == 1)
    }

    @Test("input contracts give a readable reason instead of trapping",
          arguments: [("highway", [String: String](), [2, 1024, 1], "rank"),
                      ("highway", ["size": "8"], [2, 7], "expected"),
                      ("ge", ["channels": "8", "extra_params": "True", "feat_size": "5"], [2, 8, 6, 5], "expected"),
                      ("condconv", ["padding": "0"], [2, 64, 2, 9], "too small"),
                      ("dynconv", [:], [2, 64, 9, 2], "too small"),
                      ("dynconv", ["padding": "1"], [2, 32, 9, 9], "expected")])
    func inputContracts(key: String, args: [String: String], shape: [Int], word: String) throws {
        let reason = try #require(try instance(key, args).mismatch(for: shape))
        #expect(reason.contains(word), "\(reason)")
    }

    @Test("bad arguments are rejected with a message naming the argument",
          arguments: [("highway", ["size": "0"], "size"),
                      ("highway", ["num_layers": "0"], "num_layers"),
                      ("highway", ["gate_bias": "x"], "gate_bias"),
                      ("ge", ["extent": "3"], "extent"),
                      ("ge", ["extent": "-2"], "extent"),
                      ("ge", ["extra_params": "True"], "feat_size"),
                      ("ge", ["feat_size": "1,2,3"], "feat_size"),
                      ("ge", ["rd_ratio": "0"], "rd_ratio"),
                      ("ge", ["rd_divisor": "0"], "rd_divisor"),
                      ("ge", ["rd_channels": "-1"], "rd_channels"),
                      ("condconv", ["groups": "3"], "groups"),
                      ("condconv", ["num_experts": "0"], "num_experts"),
                      ("condconv", ["padding": "-1"], "padding"),
                      ("condconv", ["kernel_size": "0"], "kernel_size"),
                      ("dynconv", ["temperature": "30"], "temperature"),
                      ("dynconv", ["temperature": "-2"], "temperature"),
                      ("dynconv", ["in_planes": "2"], "ratio"),
                      ("dynconv", ["groups": "5"], "groups"),
                      ("dynconv", ["K": "0"], "K"),
                      ("dynconv", ["stride": "0"], "stride")])
    func badArguments(key: String, args: [String: String], name: String) {
        do {
            _ = try build(key, args)
            Issue.record("\(key) accepted \(args)")
        } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
    }
}
