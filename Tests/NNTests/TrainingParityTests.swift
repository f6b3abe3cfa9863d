import NN
import TensorCore
import TestSupport
import Testing

@Test("SGD, Adam and AdamW follow torch.optim step for step",
      arguments: ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adam_amsgrad", "adamw"])
func optimizerParity(name: String) throws {
    let fx = try Fixture("nn_training")
    let p = Parameter(try fx.tensor("opt.w0"))
    let opt: Optimizer
    switch name {
    case "sgd": opt = SGD([p], lr: 0.1)
    case "sgd_momentum": opt = SGD([p], lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
    case "sgd_nesterov": opt = SGD([p], lr: 0.05, momentum: 0.9, nesterov: true)
    case "adam": opt = Adam([p], lr: 0.01, weightDecay: 0.1)
    case "adam_amsgrad": opt = Adam([p], lr: 0.01, betas: (0.8, 0.9), amsgrad: true)
    default: opt = AdamW([p], lr: 0.01, weightDecay: 0.05)
    }
    for i in 0..<3 {
        opt.zeroGrad()
        (p.value * (try fx.tensor("opt.g\(i)"))).sum().backward()
        opt.step()
    }
    expectClose(p.value, try fx.tensor("opt.\(name)"), rtol: 1e-5, atol: 1e-6, "\(name) after 3 steps")
}

@Test("LR schedules match torch.optim.lr_scheduler")
func scheduleParity() throws {
    let fx = try Fixture("nn_training")
    let schedules: [(String, LRSchedule)] = [
        ("step", .step(stepSize: 3, gamma: 0.5)),
        ("cosine", .cosine(tMax: 10, etaMin: 0.001)),
        ("warmup", .warmup(startFactor: 0.1, iterations: 4, then: nil)),
    ]
    for (name, s) in schedules {
        let rates = Tensor((0..<10).map { s.rate(base: 0.1, epoch: $0) })
        expectClose(rates, try fx.tensor("sched.\(name)"), rtol: 1e-5, atol: 1e-7, "\(name) schedule")
    }
}

@Test("losses match torch.nn.functional (values and gradients)")
func lossParity() throws {
    let fx = try Fixture("nn_training")
    let logits = try fx.tensor("loss.logits"), y = try fx.tensor("loss.y"), z = try fx.tensor("loss.z")
    let targets = try fx.tensor("loss.targets").scalars.map { Int($0) }
    let cases: [(String, (Tensor) -> Tensor)] = [
        ("ce", { Loss.crossEntropy($0, targets: targets) }),
        ("ce_smooth_w", { Loss.crossEntropy($0, targets: targets, weight: [1, 2, 0.5, 1.5], labelSmoothing: 0.1) }),
        ("ce_ignore_sum", { Loss.crossEntropy($0, targets: [0, -100, 1, 1, 2], reduction: .sum) }),
        ("bce", { Loss.binaryCrossEntropyWithLogits($0, targets: y, posWeight: Tensor([1, 2, 3, 0.5])) }),
        ("l1", { Loss.l1($0, z) }),
        ("mse_sum", { Loss.mse($0, z, reduction: .sum) }),
        ("smooth_l1", { Loss.smoothL1($0, z, beta: 0.5) }),
        ("focal", { Loss.sigmoidFocalLoss($0, targets: y, reduction: .mean) }),
    ]
    for (name, f) in cases {
        let x = logits.copy().requiringGrad()
        let v = f(x)
        expectClose(v.reshaped([1]), try fx.tensor("loss.\(name).value"), "\(name) value")
        v.backward()
        expectGradClose(x.grad, try fx.tensor("loss.\(name).grad"), "\(name) gradient")
    }
}
