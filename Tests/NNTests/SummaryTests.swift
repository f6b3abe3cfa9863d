@testable import NN
import TensorCore
import TestSupport
import Testing

/// Swift twin of `Block` in scripts/fixtures/make_nn.py (a non-container module with children).
final class ResidualBlock: Module, @unchecked Sendable {
    let conv = Conv2d(inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, bias: false)
    let bn = BatchNorm2d(numFeatures: 4)
    let act = ReLU()
    override init() { super.init() }
    override func forward(_ x: Tensor) -> Tensor { act(bn(conv(x))) + x }
}

final class SummaryNet: Module, @unchecked Sendable {
    let stem = Conv2d(inChannels: 3, outChannels: 4, kernelSize: 1, bias: false)
    let block = ResidualBlock()
    let head = Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(inFeatures: 4, outFeatures: 5, bias: false))
    override init() { super.init() }
    override func forward(_ x: Tensor) -> Tensor { head(block(stem(x))) }
}

private func fixtureRows(_ key: String) throws -> [[String: Any]] {
    let meta = try #require(try Fixture("nn_summary").json("fixture") as? [String: Any])
    return try #require(meta[key] as? [[String: Any]])
}

@Test("A4: summary rows (type, output shape, own parameters) equal torchsummary's")
func summaryMatchesTorchsummary() throws {
    let model = Sequential(Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 1), BatchNorm2d(numFeatures: 8), ReLU(),
                           Sequential(Conv2d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1, groups: 8, bias: false),
                                      Conv2d(inChannels: 8, outChannels: 16, kernelSize: 1)),
                           AdaptiveAvgPool2d(1), Flatten(), Linear(inFeatures: 16, outFeatures: 10), Softmax(dim: 1))
    model.train()
    let rows = ModuleSummary.record(model, input: Tensor.zeros([2, 3, 16, 16]))
    let expected = try fixtureRows("torchsummary_rows")
    #expect(rows.map(\.type) == expected.map { $0["type"] as? String ?? "" })
    #expect(rows.map(\.outputShape) == expected.map { $0["shape"] as? [Int] ?? [] })
    #expect(rows.map(\.parameters) == expected.map { $0["params"] as? Int ?? -1 })
    #expect(rows.map(\.name) == ["0", "1", "2", "3.0", "3.1", "4", "5", "6", "7"])
    #expect(model.training, "recording restores the training mode")
    #expect((model[1] as? BatchNorm2d)?.numBatchesTracked?.value.item == 0, "recording runs in eval mode: BN statistics untouched")
}

@Test("A4: pre-order layer list and Conv/Linear multiply-accumulates equal torchinfo's (bias-free layers)")
func summaryMatchesTorchinfo() throws {
    let rows = ModuleSummary.record(SummaryNet(), input: Tensor.zeros([2, 3, 6, 6]))
    let expected = try fixtureRows("torchinfo_layers")
    #expect(rows.map(\.type) == expected.map { ($0["type"] as? String).map { $0 == "Block" ? "ResidualBlock" : $0 } ?? "" })
    #expect(rows.map(\.outputShape) == expected.map { $0["shape"] as? [Int] ?? [] })
    #expect(rows.map(\.depth) == [1, 1, 2, 2, 2, 1, 1, 1])
    for (row, e) in zip(rows, expected) {
        // Deviation: only Conv and Linear count MACs (torchinfo also counts BN and parent modules).
        let isCounted = ["Conv2d", "Conv1d", "Linear"].contains(row.type)
        #expect(row.macs == (isCounted ? e["macs"] as? Int : 0), "\(row.name) MACs")
    }
}

@Test("A4: the rendered table lists every row with shape, parameters and totals")
func summaryRendering() {
    let m = Sequential(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), ReLU(), Flatten(), Linear(inFeatures: 4 * 25, outFeatures: 2))
    let rows = ModuleSummary.record(m, input: Tensor.zeros([1, 3, 5, 5]))
    let text = ModuleSummary.render(rows, inputShape: [1, 3, 5, 5], totalParameters: m.parameterCount)
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("Conv2d-1 (0)") && $0.contains("[1, 4, 5, 5]") && $0.contains("112") && $0.hasSuffix("2700") })
    #expect(lines.contains { $0.hasPrefix("Linear-1 (3)") && $0.contains("[1, 2]") && $0.contains("202") })
    #expect(lines.contains("Total params: 314") && lines.contains("Total MACs: 2900"))
    // A name longer than the label column widens it: the numbers stay separate columns.
    let long = [SummaryRow(name: String(repeating: "n", count: 60), type: "Conv2d", depth: 1, outputShape: [8, 128, 56, 56],
                           parameters: 147456, macs: 3_699_376_128)]
    let row = ModuleSummary.render(long, inputShape: [8, 3, 224, 224], totalParameters: 147456).split(separator: "\n")
        .first { $0.hasPrefix("Conv2d-1") }.map(String.init) ?? ""
    #expect(row.split(separator: " ").suffix(2) == ["147456", "3699376128"], "\(row)")
}
