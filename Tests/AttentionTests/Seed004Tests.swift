import Attention
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Checks of the seed-003/004 modules beyond the generic replay: values the replay cannot see
/// (buffers the module builds itself, the second output of EncModule, ECA's kernel-size rule),
/// identity at init and argument validation.
@Suite("seed 003/004 modules")
struct Seed004Tests {
    func build(_ key: String, _ args: [String: String]) throws -> Module {
        try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args)).module
    }

    func fixtureArgs(_ fx: Fixture) throws -> [String: String] {
        let meta = try #require(try fx.json("fixture") as? [String: Any])
        return try #require(meta["args"] as? [String: String])
    }

    @Test("FcaNet: the DCT filter buffer built in Swift equals PyTorch's (before any state is loaded)",
          arguments: ["fca__a", "fca__b", "fca__c"])
    func dctFilters(name: String) throws {
        let fx = try Fixture(name)
        let module = try #require(try build("fca", try fixtureArgs(fx)) as? MultiSpectralAttentionLayer)
        expectClose(module.dctLayer.weight.value, try fx.tensor("state.dct_layer.weight"), rtol: 1e-5, atol: 1e-6, "\(name) dct_layer.weight")
    }

    @Test("ECA adaptive kernel size follows the official rule for many channel counts")
    func ecaKernelSizes() throws {
        let fx = try Fixture("eca-adaptive__a")
        let channels = try fx.tensor("extra.channels").scalars.map { Int($0) }
        let k = try fx.tensor("extra.k").scalars.map { Int($0) }
        let k2 = try fx.tensor("extra.k_gamma1_b2").scalars.map { Int($0) }
        #expect(channels.map { ECALayer.kernelSize(channel: $0, gamma: 2, b: 1) } == k)
        #expect(channels.map { ECALayer.kernelSize(channel: $0, gamma: 1, b: 2) } == k2)
    }

    @Test("EncModule: the SE-loss logits of forwardWithSELoss match PyTorch in eval and train")
    func encSELogits() throws {
        let fx = try Fixture("enc__a")
        let state = fx.keys(prefix: "state.").map { (key: String($0.dropFirst(6)), array: fx.file[$0]!) }
        let module = try #require(try build("enc", try fixtureArgs(fx)) as? EncModule)
        for mode in ["eval", "train"] {
            try module.loadStateDict(state, strict: true, source: "enc__a")
            module.train(mode == "train")
            let (features, logits) = module.forwardWithSELoss(try fx.tensor("input"))
            expectClose(features, try fx.tensor(mode + ".output"), "\(mode) features")
            guard let logits else { Issue.record("enc: no SE logits"); return }
            expectClose(logits, try fx.tensor("extra.\(mode).se_logits"), "\(mode) se-logits")
        }
        let noHead = try #require(try build("enc", ["in_channels": "8", "nclass": "3", "ncodes": "4", "se_loss": "False"]) as? EncModule)
        #expect(noHead.selayer == nil)
        #expect(noHead.forwardWithSELoss(Tensor.randn([2, 8, 3, 3])).seLogits == nil)
    }

    @Test("GCT starts as the identity (gamma = beta = 0), in both modes")
    func gctIdentity() throws {
        let x = Tensor.randn([2, 8, 3, 4])
        for mode in ["l2", "l1"] {
            let y = try build("gct", ["num_channels": "8", "mode": mode])(x)
            expectClose(y, x, rtol: 0, atol: 0, "gct \(mode) at init")
        }
    }

    @Test("bad arguments are rejected with a message naming the argument",
          arguments: [("fca", ["channel": "24"], "channel"),
                      ("fca", ["freq_sel_method": "top3"], "freq_sel_method"),
                      ("gct", ["mode": "l3"], "mode"),
                      ("rcan-ca", ["channel": "8", "reduction": "16"], "reduction"),
                      ("dia", ["blocks": "0"], "blocks"),
                      ("gsop", ["att_dim": "-1"], "att_dim"),
                      ("eca-adaptive", ["gamma": "0"], "gamma")])
    func badArguments(key: String, args: [String: String], name: String) {
        do {
            _ = try build(key, args)
            Issue.record("\(key) accepted \(args)")
        } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
    }
}
