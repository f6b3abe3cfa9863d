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
