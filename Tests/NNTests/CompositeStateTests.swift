import Foundation
import NN
import TensorCore
import TensorIO
import TestSupport
import Testing

/// Swift twin of `Composite` in scripts/fixtures/make_nn.py.
final class CompositeNet: Module, @unchecked Sendable {
    let scale = Parameter(Tensor.ones([1]))
    let anchor = Buffer(Tensor([0, 1]))
    let convH = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 1)
    let bn = BatchNorm2d(numFeatures: 3)
    let heads = ModuleList([Linear(inFeatures: 3, outFeatures: 2), Linear(inFeatures: 2, outFeatures: 1, bias: false)])
    let body = Sequential(Conv2d(inChannels: 3, outChannels: 3, kernelSize: 3, groups: 3, bias: false), BatchNorm1d(numFeatures: 3),
                          ReLU(), Sequential(LayerNorm(3), GroupNorm(numGroups: 1, numChannels: 3)))
    let cell = LSTMCell(inputSize: 3, hiddenSize: 2)
    override init() { super.init() }
}

@Test("golden state-dict keys, module names and parameter count of a composite module equal PyTorch's")
func compositeGoldenKeys() throws {
    let fx = try Fixture("nn_composite")
    let meta = try #require(try fx.json("fixture") as? [String: Any])
    let m = CompositeNet()
    #expect(m.stateKeys == meta["state_keys"] as? [String])
    #expect(m.namedModules().map(\.0) == meta["module_names"] as? [String])
    #expect(m.parameterCount == meta["parameter_count"] as? Int)
    #expect(m.namedParameters().count + m.namedBuffers().count == m.stateKeys.count)
}

@Test("a PyTorch-written state dict loads strictly (int64 num_batches_tracked included) and saves back identically")
func compositeLoadsPyTorchFile() throws {
    let fx = try Fixture("nn_composite")
    let m = CompositeNet()
    try m.load(safetensors: fx.url)
    #expect(m.bn.numBatchesTracked?.value.item == 5)
    for e in m.stateDict() { expectClose(e.value, try fx.tensor(e.key), rtol: 0, atol: 0, e.key) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("composite-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try m.saveSafetensors(to: url)
    let back = try SafetensorsFile.read(from: url)
    #expect(back.names == m.stateKeys)
    #expect(Set(back.names) == Set(fx.file.names))
    for (name, a) in back.entries {
        let b = try #require(fx.file[name])
        #expect(a.dtype == b.dtype && a.shape == b.shape && a.asFloat32() == b.asFloat32(), "\(name)")
    }
}

@Test("loading a file with missing, unexpected and mis-shaped keys throws one error naming the file and every key")
func compositeStrictFileErrors() throws {
    let fx = try Fixture("nn_composite")
    var entries = fx.file.entries.filter { $0.name != "cell.bias_hh" && $0.name != "body.3.1.weight" }
    entries.append((name: "head.weight", array: HostArray(float32: [1, 2], shape: [2])))
    entries = entries.map { $0.name == "heads.0.weight" ? (name: $0.name, array: HostArray(float32: [0, 0, 0], shape: [3])) : $0 }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafetensorsFile(entries: entries).write(to: url)
    let m = CompositeNet()
    do {
        try m.load(safetensors: url)
        Issue.record("expected a StateDictError")
    } catch let e as StateDictError {
        #expect(e.source == url.path)
        #expect(e.missing == ["body.3.1.weight", "cell.bias_hh"])
        #expect(e.unexpected == ["head.weight"])
        #expect(e.mismatched.map(\.key) == ["heads.0.weight"])
        for key in ["body.3.1.weight", "cell.bias_hh", "head.weight", "heads.0.weight", url.lastPathComponent] {
            #expect(e.description.contains(key), "message lacks \(key)")
        }
    }
    // A file that is not safetensors at all is reported by TensorIO, naming the file.
    try Data("not a safetensors file".utf8).write(to: url)
    #expect { try m.load(safetensors: url) } throws: { "\($0)".contains(url.lastPathComponent) }
}
