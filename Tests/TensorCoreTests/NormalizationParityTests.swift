import TensorCore
import TestSupport
import Testing

@Test("batch, group and layer norm match PyTorch, including running statistics")
func normalizationParity() throws {
    let fx = try Fixture("ops_norm")
    let rm0 = try fx.tensor("batch_norm_train.rm0"), rv0 = try fx.tensor("batch_norm_train.rv0")
    let rm = rm0.copy(), rv = rv0.copy()
    try replay("norm", [
        "batch_norm_eval": { $0[0].batchNorm(runningMean: rm0, runningVar: rv0, weight: $0[1], bias: $0[2], training: false) },
        "batch_norm_train": { $0[0].batchNorm(runningMean: rm, runningVar: rv, weight: $0[1], bias: $0[2], training: true, momentum: 0.1) },
        "batch_norm_1d": { $0[0].batchNorm(runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) },
        "group_norm": { $0[0].groupNorm(groups: 3, weight: $0[1], bias: $0[2]) },
        "group_norm_noaffine": { $0[0].groupNorm(groups: 2, weight: nil, bias: nil) },
        "layer_norm": { $0[0].layerNorm(normalizedShape: [3, 5], weight: $0[1], bias: $0[2]) },
        "layer_norm_last": { $0[0].layerNorm(normalizedShape: [5], weight: $0[1], bias: $0[2], eps: 1e-6) },
    ])
    expectClose(rm, try fx.tensor("batch_norm_train.rm1"), "running_mean after one train step")
    expectClose(rv, try fx.tensor("batch_norm_train.rv1"), "running_var after one train step")
}

@Test("relu(batch_norm(x)) and relu(batch_norm(x) + r) as one op match PyTorch, training and eval")
func batchNormReLUParity() throws {
    let fx = try Fixture("ops_norm_relu")
    let rm0 = try fx.tensor("train.rm0"), rv0 = try fx.tensor("train.rv0")
    let rm = rm0.copy(), rv = rv0.copy()
    try replay("norm_relu", [
        "train": { $0[0].batchNorm(runningMean: rm, runningVar: rv, weight: $0[1], bias: $0[2], training: true, relu: true) },
        "eval": { $0[0].batchNorm(runningMean: rm0, runningVar: rv0, weight: $0[1], bias: $0[2], training: false, relu: true) },
        "train_1d": { $0[0].batchNorm(runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true, relu: true) },
        "train_add": {
            $0[0].batchNorm(runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true, residual: $0[3], relu: true)
        },
    ])
    expectClose(rm, try fx.tensor("train.rm1"), "running_mean after one fused train step")
    expectClose(rv, try fx.tensor("train.rv1"), "running_var after one fused train step")
}

@Test("fused batch_norm (+ residual) + relu gives the same values as the separate ops, outputs and gradients")
func batchNormReLUSameBits() {
    // Rows of 61 (SIMD steps and a tail); a bias that puts about half of each channel below zero.
    let x0 = RandomGenerator.withSeed(11) { Tensor.randn([4, 6, 61]) }
    let w0 = RandomGenerator.withSeed(12) { Tensor.randn([6]) }, b0 = RandomGenerator.withSeed(13) { Tensor.randn([6]) }
    let gout = RandomGenerator.withSeed(14) { Tensor.randn([4, 6, 61]) }
    let rm0 = Tensor(Array(repeating: 0.1, count: 6)), rv0 = Tensor(Array(repeating: 0.9, count: 6))
    let r0 = RandomGenerator.withSeed(15) { Tensor.randn([4, 6, 61]) }
    for training in [true, false] {
        for withResidual in [false, true] {
            var results: [[Tensor]] = []
            for fused in [false, true] {
                let x = x0.copy().requiringGrad(), w = w0.copy().requiringGrad(), b = b0.copy().requiringGrad()
                let r = r0.copy().requiringGrad()
                let rm = rm0.copy(), rv = rv0.copy()
                let y: Tensor
                switch (fused, withResidual) {
                case (true, false): y = x.batchNorm(runningMean: rm, runningVar: rv, weight: w, bias: b, training: training, relu: true)
                case (false, false): y = x.batchNorm(runningMean: rm, runningVar: rv, weight: w, bias: b, training: training).relu()
                case (true, true):
                    y = x.batchNorm(runningMean: rm, runningVar: rv, weight: w, bias: b, training: training, residual: r, relu: true)
                case (false, true):
                    y = x.batchNorm(runningMean: rm, runningVar: rv, weight: w, bias: b, training: training).addingReLU(r)
                }
                (y * gout).sum().backward()
                results.append([y, x.grad!, w.grad!, b.grad!, rm, rv] + (withResidual ? [r.grad!] : []))
            }
            let zeros = results[1][0].scalars.filter { $0 == 0 }.count
            let what = "training \(training), residual \(withResidual)"
            #expect(zeros > 100 && zeros < 1364, "the test needs outputs on both sides of zero (\(what): \(zeros) zeros)")
            for (i, name) in ["output", "input grad", "weight grad", "bias grad", "running_mean", "running_var", "residual grad"]
                .prefix(results[0].count).enumerated() {
                #expect(results[0][i].scalars == results[1][i].scalars, "\(what): \(name) differs from the separate ops")
            }
        }
    }
}
