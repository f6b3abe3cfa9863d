import Attention
import Foundation
import NN
import TensorCore
import TensorIO
import Testing

/// A small input fitting a module's contract: the seed shape with batch 2 (the seed's batch when the module
/// requires more, e.g. TAM's batch of whole clips).
func smallInput(_ entry: ZooEntry) -> [Int] {
    var s = entry.seedShape
    s[0] = 2
    if let inst = try? entry.buildDefault(), inst.mismatch(for: s) != nil { return entry.seedShape }
    return s
}

@Test("registry: keys are unique and every entry names its catalogue ID, paper and reference")
func registryRows() {
    let keys = AttentionKind.entries.map(\.key)
    #expect(Set(keys).count == keys.count)
    #expect(Set(keys) == Set(AttentionKind.allCases.map(\.rawValue)))
    for e in AttentionKind.entries {
        #expect(e.catalogueID.hasPrefix("D") || e.catalogueID.hasPrefix("C"), "\(e.key)")
        #expect(!e.paper.isEmpty && !e.reference.isEmpty && !e.shapeContract.isEmpty, "\(e.key)")
    }
}

@Test("contract sweep: shape, determinism in eval, finite gradients, state-dict round trip",
      arguments: AttentionKind.allCases)
func contractSweep(kind: AttentionKind) throws {
    let e = kind.entry
    let inst = try RandomGenerator.withSeed(3) { try e.buildDefault() }
    let m = inst.module
    let shape = smallInput(e)
    #expect(inst.mismatch(for: shape) == nil)
    let x = RandomGenerator.withSeed(4) { Tensor.randn(shape) }
    m.eval()
    let y1 = withNoGrad { m(x) }, y2 = withNoGrad { m(x) }
    // Shape-preserving contracts ("(N, C, H, W) → (N, C, H, W)…") keep the shape; others (classifiers,
    // convolutions changing channels) keep at least the batch.
    let sides = e.shapeContract.components(separatedBy: " → ")
    let preserving = sides.count == 2 && sides[1].hasPrefix(sides[0])
    #expect(preserving ? y1.shape == shape : y1.shape.first == shape[0], "\(e.key): output \(y1.shape) for input \(shape)")
    #expect(y1.isClose(to: y2, rtol: 0, atol: 0), "\(e.key): eval is not deterministic")
    m.train()
    let xg = x.requiringGrad()
    m(xg).sum().backward()
    #expect(xg.grad?.scalars.allSatisfy { $0.isFinite } ?? false, "\(e.key): input gradient not finite")
    for (k, p) in m.namedParameters() { #expect(p.grad?.scalars.allSatisfy { $0.isFinite } ?? true, "\(e.key): \(k) gradient not finite") }
    m.eval()
    let reference = withNoGrad { m(x) }   // after the train step updated any BN buffers
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(e.key)-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try m.saveSafetensors(to: url)
    let other = try RandomGenerator.withSeed(5) { try e.buildDefault() }.module
    try other.load(safetensors: url)
    other.eval()
    #expect(withNoGrad { other(x) }.isClose(to: reference, rtol: 0, atol: 0), "\(e.key): state-dict round trip changed the output")
}

@Test("bad --arg values give one readable error naming the argument")
func badArguments() throws {
    #expect(throws: ModuleArgumentError.self) { try AttentionKind.named("nope") }
    do {
        _ = try AttentionKind.se.entry.build(ModuleArguments(module: "se", assignments: ["channel=abc"]))
        Issue.record("expected an error")
    } catch let e as ModuleArgumentError { #expect(e.description.contains("channel")) }
    do {
        _ = try AttentionKind.se.entry.build(ModuleArguments(module: "se", assignments: ["chanel=8"]))
        Issue.record("expected an error")
    } catch let e as ModuleArgumentError { #expect(e.description.contains("chanel")) }
    #expect(throws: ModuleArgumentError.self) { try ModuleArguments(module: "se", assignments: ["channel"]) }
}
