import Foundation

/// Every setting of the training loop (the detector's are in ``DetectorConfig``). Codable: a run's
/// `config.json` holds it, and a resume with other values (except ``resumeExempt``) is refused.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public var epochs = 12
    /// Global batch (images per step).
    public var batchSize = 16
    /// Base learning rate (after warm-up, before decay).
    public var lr: Float = 0.02
    public var momentum: Float = 0.9
    public var weightDecay: Float = 1e-4
    /// False: no weight decay on norm weights and biases (every 1-D parameter), as mmdetection's
    /// `norm_decay_mult=0, bias_decay_mult=0`.
    public var decayNormsAndBiases = true
    /// `step` (×`gamma` at each epoch of `milestones`, mmdetection's 1x) or `cosine` (per
    /// iteration from `lr` to `minLR` over the run).
    public var schedule = "step"
    public var milestones = [8, 11]
    public var gamma: Float = 0.1
    public var minLR: Float = 0
    /// Linear warm-up (mmdetection's `warmup='linear'`): the factor rises from `warmupRatio` to 1
    /// over `warmupIterations` iterations.
    public var warmupIterations = 500
    public var warmupRatio: Float = 0.001
    /// Clip the global gradient norm to this value (torch's `clip_grad_norm_`); nil: no clipping.
    public var gradClipNorm: Float?
    public var seed: UInt64 = 0
    /// Augmentation: horizontal flip probability; the multi-scale shorter sides and the cap on the
    /// longer side are the detector's `minSize` / `maxSize`.
    public var flipProbability = 0.5
    /// Precise BN before each evaluation: batches of the training loader (0: off).
    public var preciseBNBatches = 0
    /// Stop after this many iterations in all (a checkpoint is written there); nil: run every epoch.
    public var maxIterations: Int?
    /// Image decoding threads of the loader.
    public var threads = 2
    /// Images per evaluation batch.
    public var evalBatchSize = 2
    /// Under MPI: BatchNorm statistics over the global batch (`BatchNormSync`, torch's SyncBatchNorm);
    /// nil or false: each rank's own part. Optional so configurations written before it still read.
    public var syncBN: Bool?

    public init() {}

    /// Keys that may differ between a checkpoint and the run resuming it.
    public static let resumeExempt: Set<String> = ["maxIterations", "threads", "evalBatchSize"]

    /// Checks the values; messages name the option.
    public func validate() throws {
        func bad(_ s: String) -> TrainingError { TrainingError(s) }
        guard epochs >= 1 else { throw bad("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw bad("--batch-size must be at least 1, got \(batchSize)") }
        guard lr.isFinite && lr > 0 else { throw bad("--lr must be a positive number, got \(lr)") }
        guard momentum >= 0 && momentum < 1 else { throw bad("momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay >= 0 else { throw bad("weight decay must be non-negative, got \(weightDecay)") }
        guard ["step", "cosine"].contains(schedule) else { throw bad("--schedule: unknown schedule '\(schedule)' (known: step, cosine)") }
        guard milestones.allSatisfy({ $0 >= 1 }) && milestones == milestones.sorted() else {
            throw bad("milestones must be ascending epochs ≥ 1, got \(milestones)")
        }
        guard warmupIterations >= 0, warmupRatio > 0, warmupRatio <= 1 else {
            throw bad("warm-up needs iterations ≥ 0 and a ratio in (0, 1], got \(warmupIterations), \(warmupRatio)")
        }
        if let c = gradClipNorm, !(c > 0 && c.isFinite) { throw bad("--grad-clip must be a positive number, got \(c)") }
        guard flipProbability >= 0 && flipProbability <= 1 else { throw bad("flip probability must be in [0, 1], got \(flipProbability)") }
        guard preciseBNBatches >= 0 else { throw bad("--precise-bn must be non-negative, got \(preciseBNBatches)") }
        if let m = maxIterations, m < 1 { throw bad("--max-iterations must be at least 1, got \(m)") }
        guard threads >= 1 else { throw bad("--threads must be at least 1, got \(threads)") }
        guard evalBatchSize >= 1 else { throw bad("eval batch size must be at least 1, got \(evalBatchSize)") }
    }
}

/// Linear warm-up, then step decay at epoch milestones or cosine annealing per iteration
/// (mmdetection's `lr_config`). A pure function of (iteration, epoch): resuming needs no state.
public struct WarmupSchedule: Sendable, Equatable {
    public let config: TrainingConfig
    /// Iterations in the whole run (for cosine).
    public let totalIterations: Int

    public init(config: TrainingConfig, iterationsPerEpoch: Int) {
        self.config = config; totalIterations = config.epochs * iterationsPerEpoch
    }

    /// The learning rate of global iteration `iteration` (0-based) in `epoch` (0-based):
    /// ```
    /// regular = lr · γ^#{m ∈ milestones : m ≤ epoch}                      (step)
    ///         = minLR + (lr − minLR)(1 + cos(π · iteration / total)) / 2   (cosine)
    /// warm-up: regular · (1 − (1 − ratio)(1 − iteration / warmupIterations)) for iteration < warmupIterations
    /// ```
    public func rate(iteration: Int, epoch: Int) -> Float {
        let c = config
        var regular: Float
        if c.schedule == "cosine" {
            let t = Float(min(iteration, totalIterations)) / Float(max(1, totalIterations))
            regular = c.minLR + (c.lr - c.minLR) * (1 + Foundation.cos(Float.pi * t)) / 2
        } else {
            regular = c.lr * Foundation.pow(c.gamma, Float(c.milestones.filter { $0 <= epoch }.count))
        }
        if iteration < c.warmupIterations {
            regular *= 1 - (1 - c.warmupRatio) * (1 - Float(iteration) / Float(c.warmupIterations))
        }
        return regular
    }
}
