import Foundation
import NN
import TensorCore
import TestSupport
import Testing
@testable import Attention
@testable import Backbones

/// The attention slot against a PyTorch reference (scripts/fixtures/backbone_refs.py
/// `slot_resnet`): torchvision's Bottleneck ResNet [1,1,1,1] with a seed-002 module at an
/// mmdetection plugin position of every block, registered under the position's name.
@Suite struct SlotParityTests {
    static let cases: [(String, String)] = [
        ("se", "after_conv3"), ("se", "after_conv2"), ("cbam-block", "after_conv3"), ("cbam-block", "after_block"),
        ("eca", "after_conv3"), ("eca", "after_conv2"), ("coord", "after_conv3"), ("coord", "after_block"),
        ("gam", "after_conv3"), ("gam", "after_conv2"),
    ]

    @Test("plugin parity at two positions", arguments: cases)
    func slot(_ key: String, _ position: String) throws {
        var c = ResNetConfig(name: "slot", block: .bottleneck, layers: [1, 1, 1, 1])
        c.numClasses = 10
        c.plugins = [try AttentionPlugin(spec: "\(key):position=\(position)")]
        let net = try ResNet.build(c)
        #expect(net.stateKeys.contains("layer3.0.\(position).\(net.layer3[0].namedChildren().first { $0.0 == position }.map { $0.1.stateKeys.first ?? "" } ?? "")"))
        try replayBackbone(net, try Fixture("slot_\(key)_\(position)"))
    }
}
