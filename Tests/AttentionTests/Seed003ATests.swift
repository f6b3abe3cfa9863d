import Attention
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Checks of the seed-003 group-A modules beyond the generic replay: RAM's glimpse locations,
/// the documented initial behaviour (identity STN / non-local, DCN = half-masked convolution),
/// shape contracts and argument validation.
@Suite("seed 003 group A modules")
struct Seed003ATests {
    func instance(_ key: String, _ args: [String: String] = [:]) throws -> ZooInstance {
        try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args))
    }

    @Test("RAM looks at the same locations as the PyTorch reference", arguments: ["ram__a", "ram__b"])
    func ramLocations(name: String) throws {
        let fx = try Fixture(name)
        let meta = try #require(try fx.json("fixture") as? [String: Any])
        let args = try #require(meta["args"] as? [String: String])
        let module = try #require(try instance("ram", args).module as? RecurrentAttention)
        let state = fx.keys(prefix: "state.").map { (key: String($0.dropFirst(6)), array: fx.file[$0]!) }
        try module.loadStateDict(state, strict: true, source: name)
        module.eval()
        let (logProbs, locations) = module.forwardWithLocations(try fx.tensor("input"))
        expectClose(Tensor.stack(locations), try fx.tensor("extra.locations"), "\(name) locations")
        expectClose(logProbs, try fx.tensor("eval.output"), "\(name) log-probabilities")
        #expect(locations.dropFirst().contains { $0.abs().amax().item > 0.3 }, "\(name): glimpses should move")
    }

    @Test("RAM patch sizes follow int(s · size)")
    func ramPatchSizes() {
        #expect(RecurrentAttention.GlimpseNetwork.patchSizes(g: 8, k: 3, s: 2) == [8, 16, 32])
        #expect(RecurrentAttention.GlimpseNetwork.patchSizes(g: 4, k: 3, s: 1.5) == [4, 6, 9])
    }

    @Test("STN starts as the identity transform")
    func stnIdentity() throws {
        let x = Tensor.randn([2, 3, 20, 20])
        expectClose(try instance("stn", ["in_channels": "3", "size": "20"]).module(x), x, rtol: 1e-5, atol: 1e-5, "stn at init")
    }

    @Test("non-local starts as the identity (W's BN, or W's conv, is zero)")
    func nonLocalIdentity() throws {
        let x = Tensor.randn([2, 8, 6, 5])
        for bn in ["True", "False"] {
            let m = try instance("non-local", ["in_channels": "8", "bn_layer": bn]).module
            m.eval()
            expectClose(m(x), x, rtol: 0, atol: 0, "non-local bn_layer=\(bn) at init")
        }
    }

    @Test("DCN with its zero-initialised offset branch is a convolution with mask 0.5")
    func dcnInit() throws {
        let m = try #require(try instance("dcn", ["in_channels": "6", "out_channels": "4", "bias": "False"]).module
            as? ModulatedDeformConv2dPack)
        let x = Tensor.randn([2, 6, 7, 5])
        expectClose(m(x), x.conv2d(weight: m.weight.value * 0.5, padding: (1, 1)), rtol: 1e-5, atol: 1e-5, "dcn at init")
        #expect(m.stateKeys == ["weight", "conv_offset.weight", "conv_offset.bias"])
    }

    @Test("ViT: timm key layout for depth 3, output (N, num_classes)")
    func vitKeysAndShape() throws {
        let m = try instance("vit", ["depth": "3", "num_classes": "7"]).module
        #expect(m.stateKeys.count == 2 + 2 + 12 * 3 + 2 + 2)
        #expect(m.stateKeys.contains("blocks.2.mlp.fc2.bias"))
        #expect(m(Tensor.randn([2, 3, 32, 32])).shape == [2, 7])
    }

    @Test("input contracts reject wrong ranks and sizes with a readable reason",
          arguments: [("vit", [2, 3, 16, 16]), ("stn", [2, 1, 28]), ("ram", [2, 3, 28, 28]), ("dcn", [2, 32, 8, 8]),
                      ("non-local", [2, 512, 7])])
    func inputContracts(key: String, shape: [Int]) throws {
        let reason = try #require(try instance(key).mismatch(for: shape))
        #expect(reason.contains("\(shape)"), "\(reason)")
    }

    @Test("bad arguments are rejected with a message naming the argument",
          arguments: [("dcn", ["groups": "3"], "groups"),
                      ("dcn", ["deform_groups": "5"], "deform_groups"),
                      ("dcn", ["padding": "-1"], "padding"),
                      ("stn", ["size": "16"], "size"),
                      ("non-local", ["inter_channels": "0"], "inter_channels"),
                      ("vit", ["patch_size": "5"], "patch_size"),
                      ("vit", ["num_heads": "3"], "num_heads"),
                      ("ram", ["hidden_size": "100"], "hidden_size"),
                      ("ram", ["g": "3", "s": "2"], "g=3"),
                      ("ram", ["s": "1.5"], "s=1.5")])
    func badArguments(key: String, args: [String: String], name: String) {
        do {
            _ = try instance(key, args)
            Issue.record("\(key) accepted \(args)")
        } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
    }
}
