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

@Test("LR schedules (alone and composed as ChainedScheduler) match torch.optim.lr_scheduler")
func scheduleParity() throws {
    let fx = try Fixture("nn_training")
    let schedules: [(String, LRSchedule)] = [
        ("step", .step(stepSize: 3, gamma: 0.5)),
        ("cosine", .cosine(tMax: 10, etaMin: 0.001)),
        ("warmup", .warmup(startFactor: 0.1, iterations: 4, then: nil)),
        ("warmup_cosine", .warmup(startFactor: 0.1, iterations: 4, then: .cosine(tMax: 10, etaMin: 0))),
        ("warmup_step", .warmup(startFactor: 0.25, iterations: 3, then: .step(stepSize: 4, gamma: 0.1))),
        ("cosine_long", .cosine(tMax: 4, etaMin: 0.01)),
    ]
    for (name, s) in schedules {
        let expected = try fx.tensor("sched.\(name)")
        let rates = Tensor((0..<expected.count).map { s.rate(base: 0.1, epoch: $0) })
        expectClose(rates, expected, rtol: 1e-5, atol: 1e-7, "\(name) schedule")
    }
}

@Test("SGD momentum buffers read back and restored into a fresh optimizer continue step for step")
func sgdMomentumBufferRoundTrip() throws {
    func grads(_ p: Parameter, _ i: Int) { (p.value * Tensor([Float(i) + 1, -2, 0.5], shape: [3])).sum().backward() }
    let a = Parameter(Tensor([1, 2, 3], shape: [3]))
    let sa = SGD([a], lr: 0.1, momentum: 0.9, weightDecay: 0.01)
    #expect(sa.momentumBuffer(for: a) == nil)
    for i in 0..<2 { sa.zeroGrad(); grads(a, i); sa.step() }
    let buffer = try #require(sa.momentumBuffer(for: a))
    // A second optimizer over a copy, given the buffer, makes the same third step; without it, another.
    let b = Parameter(a.value.copy()), c = Parameter(a.value.copy())
    let sb = SGD([b], lr: 0.1, momentum: 0.9, weightDecay: 0.01), sc = SGD([c], lr: 0.1, momentum: 0.9, weightDecay: 0.01)
    sb.setMomentumBuffer(buffer, for: b)
    sa.zeroGrad(); grads(a, 2); sa.step()
    sb.zeroGrad(); grads(b, 2); sb.step()
    sc.zeroGrad(); grads(c, 2); sc.step()
    #expect(a.value.scalars == b.value.scalars)
    #expect(a.value.scalars != c.value.scalars)
}
