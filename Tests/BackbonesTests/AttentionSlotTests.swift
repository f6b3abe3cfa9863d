import Foundation
import NN
import TensorCore
import TestSupport
import Testing
@testable import Attention
@testable import Backbones

/// The attention slot: spec syntax, the uniform channel-taking factory, registration names.
@Suite struct AttentionSlotTests {
    @Test("spec syntax: defaults, stages, position, module arguments")
    func specSyntax() throws {
        let a = try AttentionPlugin(spec: "cbam-block:reduction=8")
        #expect(a.kind == .cbamBlock && a.stages == [1, 2, 3, 4] && a.position == .afterConv3 && a.arguments == ["reduction": "8"])
        let b = try AttentionPlugin(spec: "eca:stages=3,4:position=after_block:kernel_size=5")
        #expect(b.stages == [3, 4] && b.position == .afterBlock && b.arguments == ["kernel_size": "5"])
        #expect(try AttentionPlugin(spec: b.description) == b)
    }

    @Test("bad specs answer one line naming the problem", arguments: [
        ("nope", "unknown module 'nope'"), ("se:stages=0,2", "within 1–4"), ("se:stages=5", "within 1–4"),
        ("se:position=after_conv4", "unknown position 'after_conv4'"), ("se:reduction", "is not NAME=VALUE"),
        ("vit", "cannot sit in a channel-preserving attention slot"), ("psanet", "doubles the channels"),
        ("se:stages=2,2", "stage listed twice"),
    ])
    func badSpecs(_ spec: String, _ expected: String) {
        do {
            _ = try AttentionPlugin(spec: spec)
            Issue.record("\(spec) was accepted")
        } catch {
            #expect("\(error)".contains(expected), "\(spec): \(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test("every registry entry has a slot contract, and every accepted entry keeps the shape at 64 channels")
    func channelSweep() throws {
        for kind in AttentionKind.allCases {
            guard case .refused = kind.channelFit else {
                let m = try RandomGenerator.withSeed(0) { try kind.makeForChannels(64) }.module
                m.eval()
                let x = RandomGenerator.withSeed(1) { Tensor.randn([2, 64, 9, 11]) }
                let y = withNoGrad { m(x) }
                #expect(y.shape == x.shape, "\(kind.rawValue) changes (2, 64, 9, 11) to \(y.shape)")
                continue
            }
        }
    }

    @Test("a plugin that does not fit names the block, the channels and the reason")
    func misfit() throws {
        do {
            _ = try BackboneKind.build("resnet18", plugins: [try AttentionPlugin(spec: "sa:G=48")])
            Issue.record("sa with G=48 on 64 channels was accepted")
        } catch {
            #expect("\(error)".contains("layer1.0.after_conv3 (64 channels)"), "\(error)")
        }
        do {
            _ = try BackboneKind.build("resnet18", plugins: [try AttentionPlugin(spec: "se:channel=32")])
            Issue.record("a channel argument set by the user was accepted")
        } catch {
            #expect("\(error)".contains("set by the attention slot"), "\(error)")
        }
    }

    @Test("plugins register under their position's name, a second one at the same place gets _1")
    func registration() throws {
        let net = try BackboneKind.build("resnet50", plugins: [try AttentionPlugin(spec: "se:stages=3"),
                                                              try AttentionPlugin(spec: "eca:stages=3,4:position=after_conv3"),
                                                              try AttentionPlugin(spec: "sge:stages=2:position=after_conv1")])
        let keys = net.stateKeys
        #expect(keys.contains("layer3.2.after_conv3.fc.0.weight"))
        #expect(keys.contains("layer3.2.after_conv3_1.conv.weight"))
        #expect(keys.contains("layer4.0.after_conv3.conv.weight"))
        #expect(keys.contains("layer2.1.after_conv1.weight"))
        #expect(!keys.contains { $0.hasPrefix("layer1.") && $0.contains("after_") })
        let y = withNoGrad { net.features(RandomGenerator.withSeed(2) { Tensor.randn([1, 3, 64, 64]) }) }
        #expect(y.map(\.shape) == [[1, 256, 16, 16], [1, 512, 8, 8], [1, 1024, 4, 4], [1, 2048, 2, 2]])
    }

    @Test("BAMBlock sits in the slot with the paper's padding at any map size")
    func bamInSlot() throws {
        let net = try BackboneKind.build("resnet18", plugins: [try AttentionPlugin(spec: "bam-block:stages=4")])
        net.eval()
        let y = withNoGrad { net(RandomGenerator.withSeed(3) { Tensor.randn([1, 3, 99, 131]) }) }
        #expect(y.shape == [1, 1000])
    }
}
