import Attention
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Checks of the seed-003 group-B2 modules beyond the generic fixture replay: the fused primitives against
/// composed engine ops, PSAMask's layout, shape requirements answered as one readable line, and argument validation.
@Suite("seed 003 group B2 modules")
struct Seed003B2Tests {
    func instance(_ key: String, _ args: [String: String] = [:]) throws -> ZooInstance {
        try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args))
    }

    @Test("D26 TAM: the fused adaptive temporal convolution equals the composed ops, values and gradients")
    func tamFusedEqualsComposed() throws {
        let n = 2, t = 5, c = 3, h = 2, w = 3, k = 3, p = 1
        let (x0, a0, k0, gout) = RandomGenerator.withSeed(11) {
            (Tensor.randn([n * t, c, h, w]), Tensor.rand([n, c, t]), Tensor.randn([n, c, k]), Tensor.randn([n * t, c, h, w]))
        }
        let x1 = x0.requiringGrad(), a1 = a0.requiringGrad(), k1 = k0.requiringGrad()
        let fused = x1.temporalAdaptiveConv(activation: a1, kernel: k1, padding: p)
        let x2 = x0.requiringGrad(), a2 = a0.requiringGrad(), k2 = k0.requiringGrad()
        // Zero-padded along time, then Σⱼ K[j] · (A ⊙ X)[t + j − p].
        let xa = x2.reshaped([n, t, c, h * w]) * a2.permuted([0, 2, 1]).reshaped([n, t, c, 1])
        let zeros = Tensor.zeros([n, p, c, h * w])
        let padded = Tensor.cat([zeros, xa, zeros], axis: 1)
        var plain = Tensor.zeros([n, t, c, h * w])
        for j in 0..<k {
            plain = plain + padded.slice(axis: 1, start: j, end: j + t) * k2.slice(axis: 2, start: j, end: j + 1).reshaped([n, 1, c, 1])
        }
        plain = plain.reshaped([n * t, c, h, w])
        expectClose(fused, plain, rtol: 1e-5, atol: 1e-6, "tam conv values")
        (fused * gout).sum().backward()
        (plain * gout).sum().backward()
        expectClose(x1.grad, try #require(x2.grad), rtol: 1e-5, atol: 1e-6, "tam conv ∂x")
        expectClose(a1.grad, try #require(a2.grad), rtol: 1e-5, atol: 1e-5, "tam conv ∂activation")
        expectClose(k1.grad, try #require(k2.grad), rtol: 1e-5, atol: 1e-5, "tam conv ∂kernel")
    }

    @Test("D25 PSAMask: layout of collect and distribute, zeros outside the mask, and the gradient")
    func psaMaskLayout() throws {
        let h = 3, w = 4, mh = 3, mw = 5, hw = h * w
        let x = Tensor((0..<(mh * mw * hw)).map { Float($0) }, shape: [1, mh * mw, h, w])
        let col = x.psaMask(distribute: false, maskH: mh, maskW: mw), dis = x.psaMask(distribute: true, maskH: mh, maskW: mw)
        #expect(col.shape == [1, hw, hw] && dis.shape == [1, hw, hw])
        for q in 0..<hw {
            for p in 0..<hw {
                let dh = p / w - q / w + (mh - 1) / 2, dw = p % w - q % w + (mw - 1) / 2
                let inside = dh >= 0 && dh < mh && dw >= 0 && dw < mw
                let want: Float = inside ? x.data[(dh * mw + dw) * hw + q] : 0
                #expect(col.data[p * hw + q] == want && dis.data[q * hw + p] == want, "p \(p) q \(q)")
            }
        }
        // With the over-completed mask (2h − 1) × (2w − 1) every entry is filled.
        let full = Tensor.rand([1, (2 * h - 1) * (2 * w - 1), h, w], low: 1, high: 2).psaMask(distribute: true, maskH: 2 * h - 1, maskW: 2 * w - 1)
        #expect(full.scalars.allSatisfy { $0 >= 1 })
        gradcheck("psaMask", inputs: [Tensor.randn([2, mh * mw, h, w])]) { $0[0].psaMask(distribute: true, maskH: mh, maskW: mw).softmax(axis: 1) }
    }

    @Test("D26 GLTR: (N, C, T) frame features give an (N, (1 + B)·C) video feature, keys named as the reference")
    func gltrShape() throws {
        let m = try instance("gltr", ["in_channels": "6", "dilations": "1,2"]).module
        let y = withNoGrad { m(Tensor.randn([3, 6, 7])) }
        #expect(y.shape == [3, 18])
        #expect(m.stateKeys.prefix(3) == ["feat1.weight", "feat2.weight", "Nonlocal_block0.g.weight"])
        #expect(m.stateKeys.contains("Nonlocal_block0.W.1.running_mean"))
    }

    @Test("D30 residual attention: shape kept at every stage, conv4 shortcuts and the reference's block names in the state dict")
    func residualAttentionShape() throws {
        for stage in 1...3 {
            let inst = try instance("residual-attention", ["in_channels": "8", "out_channels": "8", "stage": "\(stage)"])
            let m = inst.module
            #expect(inst.mismatch(for: [1, 8, 5, 6]) == nil || stage == 1)
            m.eval()
            let y = withNoGrad { m(Tensor.randn([1, 8, 5, 6])) }
            #expect(y.shape == [1, 8, 5, 6], "stage \(stage)")
            #expect(m.stateKeys.contains("trunk_branches.1.conv4.weight"))
            let head = 2 * (4 - stage)
            #expect(m.stateKeys.contains("softmax\(head)_blocks.3.running_var"), "stage \(stage) mask head")
        }
        let keys = try instance("residual-attention", ["stage": "1"]).module.stateKeys
        let order = ["softmax1_blocks", "skip1_connection_residual_block", "softmax2_blocks", "skip2_connection_residual_block",
                     "softmax3_blocks", "softmax4_blocks", "softmax5_blocks", "softmax6_blocks", "last_blocks"]
        let firsts = order.map { name in keys.firstIndex { $0.hasPrefix(name + ".") } ?? -1 }
        #expect(firsts.allSatisfy { $0 >= 0 } && firsts == firsts.sorted(), "\(firsts)")
    }

    @Test("inputs that break a module's contract give one readable line, never a trap",
          arguments: [("gltr", [String: String](), [2, 512, 8, 8], "rank"),
                      ("tam", [:], [6, 64, 7, 7], "multiple of n_segment"),
                      ("tam", [:], [8, 64, 7], "rank"),
                      ("tam", ["n_segment": "1"], [1, 64, 7, 7], "single frame"),
                      ("gltr", [:], [1, 128, 1], "one frame"),
                      ("psanet", [:], [1, 512, 1, 1], "too small"),
                      ("psanet", [:], [1, 512, 32, 33], "shrink_factor"),
                      ("psanet", ["compact": "True", "mask_h": "4", "mask_w": "4", "shrink_factor": "1"], [1, 512, 5, 5], "compact"),
                      ("residual-attention", ["size1": "7,7"], [1, 256, 7, 8], "size1"),
                      ("residual-attention", [:], [1, 128, 7, 7], "axis 1"),
                      ("residual-attention", ["stage": "1"], [1, 256, 5, 6], "too small")])
    func badShapes(key: String, args: [String: String], shape: [Int], words: String) throws {
        let reason = try #require(try instance(key, args).mismatch(for: shape))
        #expect(reason.contains(words) && !reason.contains("\n"), "\(reason)")
    }

    @Test("bad arguments are rejected with a message naming the argument",
          arguments: [("residual-attention", ["out_channels": "128"], "out_channels"),
                      ("residual-attention", ["in_channels": "2", "out_channels": "2"], "in_channels"),
                      ("residual-attention", ["size1": "7"], "size1"),
                      ("residual-attention", ["stage": "4"], "stage"),
                      ("residual-attention", ["stage": "1", "size1": "7,7"], "size1"),
                      ("tam", ["kernel_size": "4"], "kernel_size"),
                      ("tam", ["stride": "2"], "stride"),
                      ("tam", ["padding": "0"], "padding"),
                      ("tam", ["n_segment": "0"], "n_segment"),
                      ("tam", ["in_channels": "3"], "in_channels"),
                      ("gltr", ["dilations": "1,0"], "dilations"),
                      ("gltr", ["in_channels": "0"], "in_channels"),
                      ("psanet", ["psa_type": "3"], "psa_type"),
                      ("psanet", ["mask_h": "4"], "mask_h"),
                      ("psanet", ["shrink_factor": "0"], "shrink_factor"),
                      ("psanet", ["normalization_factor": "0"], "normalization_factor"),
                      ("psanet", ["psa_softmax": "maybe"], "psa_softmax")])
    func badArguments(key: String, args: [String: String], name: String) {
        do {
            _ = try instance(key, args)
            Issue.record("\(key) accepted \(args)")
        } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
    }
}
