import Attention
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Every fixture in Fixtures/ (written by scripts/fixtures/make_zoo_*.py) replayed through the
/// registry: build with the fixture's Python-named arguments, load the PyTorch state dict
/// strictly, compare keys, outputs, gradients and updated buffers in eval and train.
@Test("zoo modules match their PyTorch references (eval and train, all gradients, BN buffers, keys)",
      arguments: Fixture.urls(prefix: ""))
func zooFixture(url: URL) throws {
    let fx = try Fixture(url: url)
    let meta = try #require(try fx.json("fixture") as? [String: Any])
    let key = try #require(meta["key"] as? String)
    let args = try #require(meta["args"] as? [String: String])
    let kind = try AttentionKind.named(key)
    let instance = try kind.entry.build(ModuleArguments(module: key, values: args))
    try replayModuleFixture(instance.module, fx)
}

@Test("every registered module has at least two fixture configurations")
func zooFixtureCoverage() {
    let names = Fixture.urls(prefix: "").map { $0.lastPathComponent }
    for kind in AttentionKind.allCases {
        let n = names.filter { $0.hasPrefix(kind.rawValue + "__") }.count
        #expect(n >= 2, "\(kind.rawValue) (\(kind.entry.catalogueID)) has \(n) fixture configurations")
    }
}
