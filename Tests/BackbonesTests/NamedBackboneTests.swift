import Foundation
import NN
import TensorCore
import TestSupport
import Testing
@testable import Backbones

/// C1–C5: every named backbone against torchvision / timm / the seed's PyTorch code
/// (fixtures of scripts/fixtures/make_backbones.py).
@Suite struct NamedBackboneTests {
    static let names = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
                        "wide_resnet50_2", "se_resnet34", "se_resnet50", "cbam_resnet50", "cbam_resnet50_safe", "sknet50",
                        "seed_resnext50_32x4d", "resnest50d", "seresnet50", "ecaresnet50d"]
    @Test("C1–C5 parity with the PyTorch network", arguments: names)
    func parity(_ name: String) throws {
        let net = try BackboneKind.build(name)
        try replayBackbone(net, try Fixture(name))
    }

    @Test("every registered backbone has a parity fixture")
    func everyEntryHasAFixture() {
        #expect(Set(BackboneKind.entries.map(\.name)) == Set(Self.names))
    }
}
