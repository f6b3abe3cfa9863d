import TensorCore

/// Precise BatchNorm (catalogue A2): recomputes the population statistics of every BatchNorm
/// layer as a true average over K batches instead of the training-time EMA, with all weights
/// frozen (seed 000: "pause updating the network parameters, only update the BatchNorm layers").
///
/// ```
/// running_mean = (1/K) Σ_k mean_k        running_var = (1/K) Σ_k var_k (unbiased)
/// num_batches_tracked = K
/// ```
/// Reference followed: `torch.optim.swa_utils.update_bn` (same numbers as fvcore's
/// `update_bn_stats` for equal batch sizes): running statistics are reset, the model runs in
/// train mode without the tape, each BatchNorm uses the cumulative average (`momentum = nil`),
/// then momenta and the model's training mode are restored. Parameters are never changed.
/// Quirk (as PyTorch): other train-mode layers (Dropout) act during the pass; with no batches
/// the statistics are left reset.
public enum PreciseBN {
    /// Recomputes the BatchNorm statistics of `model` over `batches`. `run` feeds one batch
    /// through the model (default `model(x)`; give one for multi-input models).
    public static func update(_ model: Module, batches: [Tensor], run: ((Tensor) -> Void)? = nil) {
        let layers = model.namedModules().compactMap { $0.1 as? BatchNormBase }.filter { $0.runningMean != nil }
        guard !layers.isEmpty else { return }
        let momenta = layers.map(\.momentum)
        let wasTraining = model.training
        for bn in layers {
            bn.resetRunningStats()
            bn.momentum = nil
        }
        model.train()
        defer {
            for (bn, m) in zip(layers, momenta) { bn.momentum = m }
            model.train(wasTraining)
        }
        withNoGrad {
            for x in batches {
                if let run { run(x) } else { _ = model(x) }
            }
        }
    }
}
