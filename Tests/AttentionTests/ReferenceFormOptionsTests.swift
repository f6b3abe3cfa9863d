import Attention
import NN
import TensorCore
import Testing

/// The options that switch a seed form to the paper's (issue #19); their PyTorch parity is in
/// the fixtures `gam__channel_sigmoid` and `bam-block__paper_padding` (ZooFixtureTests).
@Suite("reference-form options: GAM channel_sigmoid, BAMBlock paper_padding")
struct ReferenceFormOptionsTests {
    func build(_ key: String, _ args: [String: String]) throws -> ZooInstance {
        try RandomGenerator.withSeed(7) { try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args)) }
    }

    @Test("D03 bam-block: paper_padding takes any H×W; the reference padding answers up front for all but 7×7")
    func bamBlockPaperPadding() throws {
        let seedForm = try build("bam-block", ["channel": "32", "reduction": "8"])
        #expect(seedForm.mismatch(for: [2, 32, 7, 7]) == nil)
        let problem = try #require(seedForm.mismatch(for: [2, 32, 15, 11]))
        #expect(problem.contains("paper_padding") && problem.contains("dia_val=2"), "\(problem)")
        #expect(try build("bam-block", ["channel": "32", "reduction": "8", "dia_val": "1"]).mismatch(for: [2, 32, 15, 11]) == nil)
        let paper = try build("bam-block", ["channel": "32", "reduction": "8", "paper_padding": "1"])
        for shape in [[2, 32, 15, 11], [2, 32, 7, 7], [1, 32, 1, 3]] {
            #expect(paper.mismatch(for: shape) == nil)
            let x = RandomGenerator.withSeed(8) { Tensor.randn(shape) }
            paper.module.eval()
            #expect(withNoGrad { paper.module(x) }.shape == shape)
        }
        #expect(paper.module.stateKeys == seedForm.module.stateKeys, "same keys in both forms")
    }

    @Test("D09 gam: channel_sigmoid multiplies by σ(MLP) instead of the raw MLP output, with the same keys")
    func gamChannelSigmoid() throws {
        let seedForm = try build("gam", ["in_channels": "16"]), paper = try build("gam", ["in_channels": "16", "channel_sigmoid": "1"])
        #expect(paper.module.stateKeys == seedForm.module.stateKeys)
        try paper.module.loadStateDict(seedForm.module.stateDictArrays().map { (key: $0.name, array: $0.array) }, source: "gam")
        seedForm.module.eval()
        paper.module.eval()
        let x = RandomGenerator.withSeed(9) { Tensor.randn([2, 16, 6, 5]) }
        let a = withNoGrad { seedForm.module(x) }, b = withNoGrad { paper.module(x) }
        #expect(!a.isClose(to: b, rtol: 1e-3, atol: 1e-3), "the two forms must differ")
    }
}
