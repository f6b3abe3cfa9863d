import Attention
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Checks of the seed-003 group-C modules beyond the generic replay: shape contracts of the
/// non-default configurations, identity at init (DANet's γ = 0), and argument validation.
@Suite("seed 003 group C modules")
struct Seed003CTests {
    func build(_ key: String, _ args: [String: String] = [:]) throws -> Module {
        try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args)).module
    }

    @Test("D31 scSE: concat doubles the channels, the other fusions keep them")
    func scseShapes() throws {
        let x = Tensor.randn([2, 16, 5, 3])
        for mode in SCSEModule.Mode.allCases {
            let y = withNoGrad { try! build("scse", ["in_channels": "16", "reduction": "4", "mode": mode.rawValue])(x) }
            #expect(y.shape == [2, mode == .concat ? 32 : 16, 5, 3], "\(mode)")
        }
    }

    @Test("D34 DANet PAM and CAM start as the identity (γ = 0), for non-square inputs")
    func danetIdentity() throws {
        let x = Tensor.randn([2, 16, 3, 7])
        for key in ["pam", "cam"] {
            let y = withNoGrad { try! build(key, ["in_dim": "16"])(x) }
            expectClose(y, x, rtol: 0, atol: 0, "\(key) at init")
        }
    }

    @Test("D35 SCConv: stride 2 halves the output (rounding up) like k4's convolution")
    func scconvStride() throws {
        let y = withNoGrad { try! build("scconv", ["inplanes": "8", "planes": "8", "stride": "2"])(Tensor.randn([1, 8, 9, 8])) }
        #expect(y.shape == [1, 8, 5, 4])
    }

    @Test("D32 Triplet: no_spatial drops the hw gate and its state keys")
    func tripletNoSpatial() throws {
        let keys = try build("triplet", ["no_spatial": "True"]).stateKeys
        #expect(!keys.contains { $0.hasPrefix("hw.") })
        #expect(keys.contains("cw.conv.conv.weight") && keys.contains("hc.conv.bn.num_batches_tracked"))
    }

    @Test("D32 Triplet: the fused ZPool equals channel max ‖ channel mean, values and gradients")
    func zpoolMatchesEngineOps() throws {
        let x = Tensor.randn([2, 5, 4, 3]), g = Tensor.randn([2, 2, 4, 3])
        let a = x.requiringGrad(), b = x.requiringGrad()
        let fused = TripletAttention.ZPool()(a)
        let plain = Tensor.cat([b.maxValues(axis: 1, keepDims: true), b.mean(axis: 1, keepDims: true)], axis: 1)
        expectClose(fused, plain, rtol: 1e-6, atol: 1e-6, "zpool values")
        (fused * g).sum().backward()
        (plain * g).sum().backward()
        guard let ga = a.grad, let gb = b.grad else { Issue.record("zpool: no gradient"); return }
        expectClose(ga, gb, rtol: 1e-6, atol: 1e-6, "zpool gradients")
    }

    @Test("bad arguments are rejected with a message naming the argument",
          arguments: [("scse", ["mode": "sum"], "mode"),
                      ("scse", ["in_channels": "8", "reduction": "16"], "reduction"),
                      ("pam", ["in_dim": "4"], "in_dim"),
                      ("simam", ["e_lambda": "-1"], "e_lambda"),
                      ("strip-pool", ["in_channels": "6"], "in_channels"),
                      ("strip-pool", ["pool_size": "(3)"], "pool_size"),
                      ("scconv", ["planes": "32"], "planes"),
                      ("scconv", ["padding": "2"], "padding"),
                      ("scconv", ["groups": "3"], "groups"),
                      ("triplet", ["no_spatial": "maybe"], "no_spatial"),
                      ("gala", ["channel": "8", "reduction": "16"], "reduction"),
                      ("bilinear", ["inChannels": "8", "outChannels": "8"], "inChannels"),
                      ("bilinear", ["inChannels": "32", "outChannels": "16"], "outChannels")])
    func badArguments(key: String, args: [String: String], name: String) {
        do {
            _ = try build(key, args)
            Issue.record("\(key) accepted \(args)")
        } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
    }
}
