import TensorCore

/// A learnable tensor: a leaf of the tape that accumulates gradients. Reference type, so the
/// module, the optimizer and the state-dict loader all see the same weight.
public final class Parameter: @unchecked Sendable {
    /// The value (a leaf requiring grad). Optimizers and loaders write into its storage in place.
    public private(set) var value: Tensor

    public init(_ tensor: Tensor) { value = tensor.detach().requiringGrad() }

    /// The gradient accumulated by `backward()`.
    public var grad: Tensor? { value.grad }
    public var shape: [Int] { value.shape }
    public func zeroGrad() { value.zeroGrad() }
    /// Replaces the gradient (averaged over data-parallel ranks, clipped, …).
    public func setGradient(_ gradient: Tensor?) { value.setGrad(gradient) }

    /// Whether backward computes a gradient for it (`requires_grad`). Setting false freezes the
    /// weight (same storage, no tape); true makes it a leaf again. The gradient is dropped.
    public var requiresGrad: Bool {
        get { value.requiresGrad }
        set { value = newValue ? value.detach().requiringGrad() : value.detach() }
    }

    /// Replaces the value (a new leaf; the old gradient is dropped).
    public func assign(_ tensor: Tensor) {
        checkShape(tensor.shape == value.shape, "Parameter.assign: shape \(tensor.shape) differs from \(value.shape)")
        value = tensor.detach().requiringGrad()
    }
}

/// A non-learnable state tensor (running statistics, counters, constant bases).
public final class Buffer: @unchecked Sendable {
    public var value: Tensor
    /// Stored as int64 in state dicts (`num_batches_tracked`).
    public let isInteger: Bool

    public init(_ tensor: Tensor, isInteger: Bool = false) {
        value = tensor.detach()
        self.isInteger = isInteger
    }
}
