import Foundation
import NN
import TensorCore
import TensorIO
import Testing

final class TwoLayers: Module, @unchecked Sendable {
    let convH = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 1)
    let bn = BatchNorm2d(numFeatures: 3)
    let heads = [Linear(inFeatures: 3, outFeatures: 2), Linear(inFeatures: 2, outFeatures: 1, bias: false)]
    override init() { super.init() }
}

@Test("property labels map to PyTorch names: camelCase → snake_case, digits kept")
func snakeCaseNames() {
    #expect(["runningMean", "convH", "fc1", "numBatchesTracked", "weightIh", "bn"].map(snakeCase)
            == ["running_mean", "conv_h", "fc1", "num_batches_tracked", "weight_ih", "bn"])
}

@Test("strict loading lists every missing, unexpected and mis-shaped key in one error naming the source")
func strictLoadingErrors() throws {
    let m = TwoLayers()
    var entries = m.stateDictArrays().map { (key: $0.name, array: $0.array) }
    entries.removeAll { $0.key == "bn.bias" }
    entries.append((key: "extra.weight", array: HostArray(float32: [1], shape: [1])))
    entries[0] = (key: "conv_h.weight", array: HostArray(float32: [0, 0], shape: [1, 2]))
    let before = m.convH.weight.value.scalars
    do {
        try m.loadStateDict(entries, source: "w.safetensors")
        Issue.record("expected an error")
    } catch let e as StateDictError {
        let text = e.description
        #expect(text.contains("w.safetensors") && text.contains("bn.bias") && text.contains("extra.weight") && text.contains("conv_h.weight"))
    }
    #expect(m.convH.weight.value.scalars == before, "a failed load must not write anything")
    // Non-strict ignores missing/unexpected keys but still rejects shapes.
    #expect(throws: StateDictError.self) { try m.loadStateDict(entries, strict: false, source: "w") }
}

@Test("safetensors round trip keeps values and num_batches_tracked as int64")
func stateRoundTrip() throws {
    let a = RandomGenerator.withSeed(1) { TwoLayers() }
    a.bn.numBatchesTracked!.value.data[0] = 7
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try a.saveSafetensors(to: url)
    let file = try SafetensorsFile.read(from: url)
    #expect(file["bn.num_batches_tracked"]?.dtype == .int64)
    let b = RandomGenerator.withSeed(2) { TwoLayers() }
    try b.load(safetensors: url)
    for (x, y) in zip(a.stateDict(), b.stateDict()) { #expect(x.value.scalars == y.value.scalars, "\(x.key)") }
}
