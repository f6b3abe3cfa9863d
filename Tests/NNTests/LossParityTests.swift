import NN
import TensorCore
import TestSupport
import Testing

@Test("losses match torch.nn.functional (values and gradients, every reduction)")
func lossParity() throws {
    let fx = try Fixture("nn_training")
    let y = try fx.tensor("loss.y"), z = try fx.tensor("loss.z")
    let targets = try fx.tensor("loss.targets").scalars.map { Int($0) }
    let targets4 = try fx.tensor("loss.targets4").scalars.map { Int($0) }
    let ignored = [0, -100, 3, -100, 2]
    let classWeights: [Float] = [1, 2, 0.5, 1.5]
    // (fixture name, input logits key, loss)
    let cases: [(String, String, (Tensor) -> Tensor)] = [
        ("ce", "loss.logits", { Loss.crossEntropy($0, targets: targets) }),
        ("ce_smooth_w", "loss.logits", { Loss.crossEntropy($0, targets: targets, weight: classWeights, labelSmoothing: 0.1) }),
        ("ce_ignore_sum", "loss.logits", { Loss.crossEntropy($0, targets: [0, -100, 1, 1, 2], reduction: .sum) }),
        ("ce_ignore_smooth", "loss.logits", { Loss.crossEntropy($0, targets: ignored, labelSmoothing: 0.2) }),
        ("ce_ignore_smooth_w", "loss.logits", { Loss.crossEntropy($0, targets: ignored, weight: classWeights, labelSmoothing: 0.2) }),
        ("ce_spatial_none", "loss.logits4", { Loss.crossEntropy($0, targets: targets4, reduction: .none) }),
        ("bce", "loss.logits", { Loss.binaryCrossEntropyWithLogits($0, targets: y, posWeight: Tensor([1, 2, 3, 0.5])) }),
        ("bce_sum", "loss.logits", { Loss.binaryCrossEntropyWithLogits($0, targets: y, reduction: .sum) }),
        ("l1", "loss.logits", { Loss.l1($0, z) }),
        ("l1_none", "loss.logits", { Loss.l1($0, z, reduction: .none) }),
        ("mse_sum", "loss.logits", { Loss.mse($0, z, reduction: .sum) }),
        ("smooth_l1", "loss.logits", { Loss.smoothL1($0, z, beta: 0.5) }),
        ("smooth_l1_beta0", "loss.logits", { Loss.smoothL1($0, z, beta: 0, reduction: .sum) }),
        ("focal", "loss.logits", { Loss.sigmoidFocalLoss($0, targets: y, reduction: .mean) }),
        ("focal_noalpha_sum", "loss.logits", { Loss.sigmoidFocalLoss($0, targets: y, alpha: -1, gamma: 1.5, reduction: .sum) }),
    ]
    for (name, inputKey, f) in cases {
        let x = try fx.tensor(inputKey).requiringGrad()
        let v = f(x)
        if fx.has("loss.\(name).gw") {
            expectClose(v, try fx.tensor("loss.\(name).value"), "\(name) values")
            (v * (try fx.tensor("loss.\(name).gw"))).sum().backward()
        } else {
            expectClose(v.reshaped([1]), try fx.tensor("loss.\(name).value"), "\(name) value")
            v.backward()
        }
        expectGradClose(x.grad, try fx.tensor("loss.\(name).grad"), "\(name) gradient")
    }
}
