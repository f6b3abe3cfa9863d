import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Swift twins of the PyTorch layers in scripts/fixtures/make_nn.py, by fixture name.
let layerFactories: [String: @Sendable () -> Module] = [
    "linear__a": { Linear(inFeatures: 6, outFeatures: 4) },
    "linear__nobias_3d": { Linear(inFeatures: 5, outFeatures: 3, bias: false) },
    "conv2d__a": { Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, groups: 2) },
    "conv2d__rect_nobias": { Conv2d(inChannels: 3, outChannels: 5, kernelSize: (3, 1), padding: (1, 0), dilation: (2, 1), bias: false) },
    "conv1d__a": { Conv1d(inChannels: 4, outChannels: 3, kernelSize: 3, stride: 2, padding: 1) },
    "batchnorm2d__a": { BatchNorm2d(numFeatures: 5) },
    "batchnorm2d__cumulative": { BatchNorm2d(numFeatures: 3, eps: 1e-3, momentum: nil) },
    "batchnorm1d__a": { BatchNorm1d(numFeatures: 6) },
    "batchnorm1d__noaffine_3d": { BatchNorm1d(numFeatures: 4, affine: false) },
    "groupnorm__a": { GroupNorm(numGroups: 2, numChannels: 6) },
    "layernorm__a": { LayerNorm(normalizedShape: [4, 5]) },
    "lstmcell__a": { LSTMCell(inputSize: 5, hiddenSize: 4) },
    "sequential__a": {
        Sequential(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4), ReLU(),
                   MaxPool2d(kernelSize: 2), Conv2d(inChannels: 4, outChannels: 4, kernelSize: 1), Hardswish(),
                   AdaptiveAvgPool2d(outputSize: (1, nil)), Flatten(), Linear(inFeatures: 16, outFeatures: 3), GELU(), Softmax(dim: 1))
    },
    "conv1d__dil_groups_nobias": { Conv1d(inChannels: 4, outChannels: 6, kernelSize: 3, padding: 2, dilation: 2, groups: 2, bias: false) },
    "batchnorm2d__notrack": { BatchNorm2d(numFeatures: 3, trackRunningStats: false) },
    "groupnorm__noaffine": { GroupNorm(numGroups: 3, numChannels: 6, eps: 1e-3, affine: false) },
    "layernorm__noaffine": { LayerNorm(6, elementwiseAffine: false) },
    "pools__max": {
        Sequential(MaxPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true), MaxPool2d(kernelSize: 2, stride: 1, dilation: 2))
    },
    "pools__avg": {
        Sequential(AvgPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true), AvgPool2d(kernelSize: 2, divisorOverride: 3))
    },
    "pools__1d": {
        Sequential(MaxPool1d(kernelSize: 3, stride: 2, padding: 1), AvgPool1d(kernelSize: 3, stride: 1, padding: 1, countIncludePad: false),
                   AdaptiveAvgPool1d(4))
    },
    "upsample__a": {
        Sequential(Upsample(size: (5, 7)), Upsample(scaleFactor: 2, mode: .bilinear, alignCorners: true),
                   AdaptiveAvgPool2d(outputSize: (3, nil)))
    },
    "activations__a": {
        Sequential(Linear(inFeatures: 6, outFeatures: 8), LeakyReLU(negativeSlope: 0.2), Linear(inFeatures: 8, outFeatures: 8), Tanh(),
                   Linear(inFeatures: 8, outFeatures: 8), Hardsigmoid(), Linear(inFeatures: 8, outFeatures: 8), SiLU(),
                   Linear(inFeatures: 8, outFeatures: 8), Softplus(beta: 2, threshold: 1), Linear(inFeatures: 8, outFeatures: 8), ReLU6(),
                   Linear(inFeatures: 8, outFeatures: 8), GELU(approximate: "tanh"), Dropout(p: 0), Identity(),
                   Linear(inFeatures: 8, outFeatures: 3))
    },
    "pools__a": {
        Sequential(AvgPool2d(kernelSize: 3, stride: 2, padding: 1, countIncludePad: false),
                   Upsample(scaleFactor: 2, mode: .bilinear), AdaptiveMaxPool2d(3), Sigmoid())
    },
]

@Test("A1/A3: every NN layer matches PyTorch in eval and train (outputs, gradients, running stats, keys)",
      arguments: Fixture.urls(prefix: "").filter { !$0.lastPathComponent.hasPrefix("nn_") })
func layerParity(url: URL) throws {
    let name = url.deletingPathExtension().lastPathComponent
    let make = try #require(layerFactories[name], "no Swift layer for fixture \(name)")
    try replayModuleFixture(make(), try Fixture(url: url))
}

@Test("every layer factory has a fixture and every layer fixture a factory")
func layerFactoriesCovered() {
    let names = Set(Fixture.urls(prefix: "").map { $0.deletingPathExtension().lastPathComponent }.filter { !$0.hasPrefix("nn_") })
    #expect(Set(layerFactories.keys) == names)
}

@Test("A1: LSTMCell from a given state matches PyTorch (h, c and gradients to x, h0, c0 and weights)")
func lstmCellFromState() throws {
    let fx = try Fixture("nn_training")
    let cell = LSTMCell(inputSize: 3, hiddenSize: 4)
    let state = try fx.keys(prefix: "lstm.state.").map { (key: String($0.dropFirst("lstm.state.".count)), array: try fx.array($0)) }
    try cell.loadStateDict(state, source: "nn_training.safetensors")
    let x = try fx.tensor("lstm.x").requiringGrad(), h0 = try fx.tensor("lstm.h0").requiringGrad()
    let c0 = try fx.tensor("lstm.c0").requiringGrad()
    let (h1, c1) = cell(x, (h: h0, c: c0))
    expectClose(h1, try fx.tensor("lstm.h1"), "h1")
    expectClose(c1, try fx.tensor("lstm.c1"), "c1")
    (h1 * (try fx.tensor("lstm.gh")) + c1 * (try fx.tensor("lstm.gc"))).sum().backward()
    for (name, t) in [("x", x), ("h0", h0), ("c0", c0)] { expectGradClose(t.grad, try fx.tensor("lstm.grad.\(name)"), "grad \(name)") }
    for (key, p) in cell.namedParameters() { expectGradClose(p.grad, try fx.tensor("lstm.grad.\(key)"), "grad \(key)") }
}
