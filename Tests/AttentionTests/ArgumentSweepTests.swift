import Attention
import TensorCore
import Testing

/// Absurd values for every argument of every registry entry (issue #19). Each build either throws a
/// `ModuleArgumentError` naming the argument (or the value it sets), or the module's input contract
/// refuses the small seed-shaped input up front, or the module runs on it. A crash — division by
/// zero, an overflow, an allocation failure, a failed shape check deep inside — fails the run.
@Test("argument sweep: -1, 0, 1, 100000 and 2⁴⁰ for every argument of every module give a named error, a refused input or a result",
      arguments: AttentionKind.allCases)
func argumentSweep(kind: AttentionKind) throws {
    let e = kind.entry
    let probe = ModuleArguments(module: e.key)
    _ = try RandomGenerator.withSeed(0) { try e.build(probe) }
    let input = smallInput(e)
    let x = RandomGenerator.withSeed(1) { Tensor.randn(input) }
    for name in probe.names {
        for value in ["-1", "0", "1", "100000", "1099511627776"] {
            let instance: ZooInstance
            do {
                instance = try RandomGenerator.withSeed(2) { try e.build(ModuleArguments(module: e.key, values: [name: value])) }
            } catch let error as ModuleArgumentError {
                #expect(error.description.contains(name) || error.description.contains("=\(value)"), "\(e.key) \(name)=\(value): \(error)")
                continue
            }
            #expect(Int(value)! <= ModuleArguments.maximumInteger, "\(e.key) \(name)=\(value) was accepted")
            if let problem = instance.mismatch(for: input) {
                #expect(!problem.isEmpty)
                continue
            }
            instance.module.eval()
            let y = withNoGrad { instance.module(x) }
            #expect(y.shape.first == input[0], "\(e.key) \(name)=\(value): output \(y.shape)")
        }
    }
}

@Test("ModuleArguments: integers outside their range, over-long lists and out-of-range numbers name the argument")
func argumentRanges() throws {
    let a = ModuleArguments(module: "m", values: ["big": "65537", "neg": "-1", "list": "1,2,100000", "long": Array(repeating: "1", count: 65).joined(separator: ","),
                                                  "k": "0", "f": "1e6", "ok": "65536"])
    for (name, read) in [("big", { _ = try a.int("big", 1) }), ("neg", { _ = try a.optionalInt("neg", nil) }),
                         ("list", { _ = try a.ints("list", [1]) }), ("long", { _ = try a.ints("long", [1]) }),
                         ("k", { _ = try a.int("k", 3, in: ModuleArguments.positive) }), ("f", { _ = try a.float("f", 1) })] as [(String, () throws -> Void)] {
        #expect(throws: ModuleArgumentError.self, "\(name)") { try read() }
        do { try read() } catch { #expect("\(error)".contains(name), "\(error)") }
    }
    #expect(try a.int("ok", 1) == ModuleArguments.maximumInteger)
}

@Test("a kernel larger than the padded input is refused before the convolution runs (splat, dcn, condconv, dynconv)",
      arguments: [("splat", ["kernel_size": "11", "padding": "0"]), ("dcn", ["kernel_size": "11", "padding": "0"]),
                  ("condconv", ["kernel_size": "11", "padding": "0"]), ("dynconv", ["kernel_size": "11", "padding": "0"])])
func kernelLargerThanPaddedInput(key: String, args: [String: String]) throws {
    let instance = try RandomGenerator.withSeed(0) { try AttentionKind.named(key).entry.build(ModuleArguments(module: key, values: args)) }
    let problem = try #require(instance.mismatch(for: [2, 64, 8, 10]), "\(key): an 8×10 input with an 11×11 kernel should be refused")
    #expect(problem.contains("too small") && problem.contains("11×11"), "\(problem)")
    #expect(instance.mismatch(for: [2, 64, 11, 11]) == nil)
}
