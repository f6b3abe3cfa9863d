import TensorCore

/// Batch normalisation (catalogue A1) shared by BatchNorm1d and BatchNorm2d: batch statistics
/// in training (running buffers updated by momentum, or as a cumulative average when momentum
/// is nil; `num_batches_tracked` counted), running statistics in eval.
/// Keys `weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`.
public class BatchNormBase: Module, @unchecked Sendable {
    public let weight: Parameter?
    public let bias: Parameter?
    public let runningMean: Buffer?
    public let runningVar: Buffer?
    public let numBatchesTracked: Buffer?
    public let numFeatures: Int
    public let eps: Float
    /// EMA factor for the running statistics; nil = cumulative average (as PyTorch's `momentum=None`).
    public var momentum: Float?

    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        self.numFeatures = numFeatures; self.eps = eps; self.momentum = momentum
        weight = affine ? Parameter(Tensor.ones([numFeatures])) : nil
        bias = affine ? Parameter(Tensor.zeros([numFeatures])) : nil
        runningMean = trackRunningStats ? Buffer(Tensor.zeros([numFeatures])) : nil
        runningVar = trackRunningStats ? Buffer(Tensor.ones([numFeatures])) : nil
        numBatchesTracked = trackRunningStats ? Buffer(Tensor.zeros([]), isInteger: true) : nil
        super.init()
    }

    /// Running mean 0, running variance 1, `num_batches_tracked` 0 (PyTorch's `reset_running_stats`).
    public func resetRunningStats() {
        guard let runningMean, let runningVar, let numBatchesTracked else { return }
        runningMean.value = Tensor.zeros([numFeatures])
        runningVar.value = Tensor.ones([numFeatures])
        numBatchesTracked.value = Tensor.zeros([])
    }

    /// Checks the input layout (rank) for the concrete class.
    func checkInput(_ x: Tensor) {}

    public override func forward(_ x: Tensor) -> Tensor { normalized(x, residual: nil, relu: false) }

    /// `relu(self(x))` as one op (`Tensor.batchNorm(…, relu: true)`: the same numbers, one tensor
    /// written instead of two). Module hooks see the norm's own output, so under a forward observer
    /// or a summary recording this runs the two steps.
    public func forwardReLU(_ x: Tensor) -> Tensor {
        if ModuleSummary.isRecording || ForwardObserver.current != nil { return self(x).relu() }
        return normalized(x, residual: nil, relu: true)
    }

    /// `self(x).addingReLU(residual)` as one op (`Tensor.batchNorm(…, residual:relu:)`: the same
    /// numbers; the norm's output is neither written nor kept). A ResNet block's last norm, its
    /// shortcut sum and ReLU. The two steps under a summary or forward observer.
    public func forwardAddReLU(_ x: Tensor, residual: Tensor) -> Tensor {
        if ModuleSummary.isRecording || ForwardObserver.current != nil { return self(x).addingReLU(residual) }
        return normalized(x, residual: residual, relu: true)
    }

    func normalized(_ x: Tensor, residual: Tensor?, relu: Bool) -> Tensor {
        checkInput(x)
        checkShape(x.rank >= 2 && x.shape[1] == numFeatures,
                   "\(type(of: self)): input \(x.shape) does not have \(numFeatures) channels at axis 1")
        var factor = momentum ?? 0
        let useBatch = training || runningMean == nil
        if training, let n = numBatchesTracked {
            n.value.data[0] += 1
            if momentum == nil { factor = 1 / n.value.data[0] }
        }
        return x.batchNorm(runningMean: runningMean?.value,
                           runningVar: runningVar?.value, weight: weight?.value, bias: bias?.value,
                           training: useBatch, momentum: factor, eps: eps, residual: residual, relu: relu)
    }
}

/// BatchNorm over (N, C) or (N, C, L).
public final class BatchNorm1d: BatchNormBase, @unchecked Sendable {
    override func checkInput(_ x: Tensor) {
        checkShape(x.rank == 2 || x.rank == 3, "BatchNorm1d: input \(x.shape) is not (N, C) or (N, C, L)")
    }
}

/// BatchNorm over (N, C, H, W).
public final class BatchNorm2d: BatchNormBase, @unchecked Sendable {
    override func checkInput(_ x: Tensor) {
        checkShape(x.rank == 4, "BatchNorm2d: input \(x.shape) is not (N, C, H, W)")
    }
}
