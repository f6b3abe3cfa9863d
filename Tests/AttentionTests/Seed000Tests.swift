import Attention
import NN
import TensorCore
import Testing

/// Extra checks of the seed-000/001 modules beyond the PyTorch fixture replay: shape contracts of
/// the strided forms, the r-softmax normalisation, BAM's documented combination, and argument errors.

private func build(_ key: String, _ args: [String: String]) throws -> Module {
    try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args)).module
}

private func outputShape(_ key: String, _ args: [String: String], _ input: [Int]) throws -> [Int] {
    let m = try build(key, args)
    m.eval()
    return withNoGrad { m(RandomGenerator.withSeed(1) { Tensor.randn(input) }) }.shape
}

@Test("seed 000 shape contracts: strided SKConv, down-sampling SKUnit and ResNeXt block, SplAt channel change")
func seed000Shapes() throws {
    #expect(try outputShape("sk", ["channels": "8", "stride": "2"], [2, 8, 7, 6]) == [2, 8, 4, 3])
    #expect(try outputShape("sk-unit", ["in_channels": "8", "out_channels": "16"], [2, 8, 7, 6]) == [2, 16, 4, 3])
    #expect(try outputShape("sk-unit", ["in_channels": "8", "out_channels": "8"], [2, 8, 7, 6]) == [2, 8, 7, 6])
    #expect(try outputShape("resnext-block", ["in_channels": "8", "gw": "8", "cardinality": "4", "stride": "2"], [2, 8, 7, 6]) == [2, 16, 4, 3])
    #expect(try outputShape("splat", ["in_channels": "16", "channels": "8"], [2, 16, 5, 5]) == [2, 8, 5, 5])
    #expect(try outputShape("splat", ["in_channels": "16", "channels": "8", "stride": "2"], [2, 16, 5, 5]) == [2, 8, 3, 3])
}

@Test("rSoftMax: the radix weights of each cardinal group and channel sum to one; radix 1 is a sigmoid")
func rSoftMaxNormalises() {
    let (radix, card, rest) = (3, 2, 4)
    let x = RandomGenerator.withSeed(2) { Tensor.randn([2, card * radix * rest, 1, 1]) }
    let y = SplAtConv2d.RSoftMax(radix: radix, cardinality: card)(x)
    #expect(y.shape == [2, radix * card * rest])
    // Output layout is (N, radix, cardinality, rest): summing over radix gives ones.
    let sums = y.reshaped(2, radix, card * rest).sum(axis: 1)
    #expect(sums.isClose(to: Tensor.ones([2, card * rest]), rtol: 0, atol: 1e-6))
    let s = SplAtConv2d.RSoftMax(radix: 1, cardinality: card)(x)
    #expect(s.isClose(to: x.sigmoid(), rtol: 0, atol: 0))
}

@Test("BAM combines the gates as (1 + σ(Mc + Ms)) ⊙ X (paper form; the official code multiplies)")
func bamCombination() {
    let m = RandomGenerator.withSeed(3) { BAM(gateChannel: 16, reductionRatio: 4) }
    m.eval()
    let x = RandomGenerator.withSeed(4) { Tensor.randn([2, 16, 5, 5]) }
    withNoGrad {
        let mc = m.channelAtt(x), ms = m.spatialAtt(x)
        #expect(mc.shape == [2, 16, 1, 1] && ms.shape == [2, 1, 5, 5])
        #expect(m(x).isClose(to: ((mc + ms).sigmoid() + 1) * x, rtol: 1e-6, atol: 1e-6))
        #expect(!m(x).isClose(to: ((mc * ms).sigmoid() + 1) * x, rtol: 1e-3, atol: 1e-3))
    }
}

@Test("ResNeXt block: identity shortcut exactly when stride 1 and in = 2·gw")
func resnextShortcut() {
    #expect(ResNeXtBlock(inChannels: 16, gw: 8, cardinality: 4).shortcut.count == 0)
    #expect(ResNeXtBlock(inChannels: 8, gw: 8, cardinality: 4).shortcut.count == 2)
    #expect(ResNeXtBlock(inChannels: 16, gw: 8, cardinality: 4, stride: 2).shortcut.count == 2)
}

@Test("seed 000 bad arguments give one readable error naming the argument",
      arguments: [("splat", ["in_channels": "10", "groups": "2"], "in_channels"),
                  ("splat", ["in_channels": "16", "channels": "3", "groups": "2"], "groups"),
                  ("resnext-block", ["gw": "30"], "gw"),
                  ("cbam", ["planes": "8"], "planes"),
                  ("se-block", ["channel": "8"], "channel"),
                  ("sk", ["M": "0"], "M"),
                  ("bam", ["gate_channel": "-4"], "gate_channel"),
                  ("sk-unit", ["in_channels": "4"], "in_channels"),
                  ("bam", ["dilation": "2"], "dilation")])
func seed000BadArguments(key: String, args: [String: String], named: String) {
    do {
        _ = try build(key, args)
        Issue.record("\(key) \(args): expected an error")
    } catch let e as ModuleArgumentError {
        #expect(e.description.contains(named), "\(e.description)")
    } catch {
        Issue.record("\(key): unexpected error \(error)")
    }
}
