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

@Test("every layer factory has a fixture")
func layerFactoriesCovered() {
    let names = Set(Fixture.urls(prefix: "").map { $0.deletingPathExtension().lastPathComponent })
    #expect(Set(layerFactories.keys).subtracting(names).isEmpty)
}

import Foundation
