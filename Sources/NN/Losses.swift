import TensorCore

/// How a per-element loss is reduced.
public enum Reduction: String, Sendable { case none, mean, sum }

func reduce(_ t: Tensor, _ r: Reduction) -> Tensor {
    switch r {
    case .none: return t
    case .mean: return t.mean()
    case .sum: return t.sum()
    }
}

/// Loss functions with torch.nn.functional's conventions.
public enum Loss {
    /// Cross-entropy of logits (N, C) or (N, C, d…) with class targets, optional label
    /// smoothing, class weights and ignore index (mean over non-ignored targets, weighted).
    public static func crossEntropy(_ logits: Tensor, targets: [Int], weight: [Float]? = nil, ignoreIndex: Int = -100,
                                    labelSmoothing: Float = 0, reduction: Reduction = .mean) -> Tensor {
        checkShape(logits.rank >= 2, "cross_entropy: logits \(logits.shape) need shape (N, C, ...)")
        let c = logits.shape[1]
        // Move classes last: (M, C).
        var order = [0] + Array(2..<logits.rank); order.append(1)
        let flat = logits.permuted(order).reshaped([-1, c])
        let m = flat.shape[0]
        checkShape(targets.count == m, "cross_entropy: \(targets.count) targets for \(m) predictions of \(logits.shape)")
        let logp = flat.logSoftmax(axis: 1)
        var onehot = [Float](repeating: 0, count: m * c), rowWeight = [Float](repeating: 0, count: m)
        if let weight { checkShape(weight.count == c, "cross_entropy: \(weight.count) class weights for \(c) classes") }
        let w = weight ?? [Float](repeating: 1, count: c)
        for (i, t) in targets.enumerated() where t != ignoreIndex {
            checkShape(t >= 0 && t < c, "cross_entropy: target \(t) out of range for \(c) classes")
            onehot[i * c + t] = 1
            rowWeight[i] = w[t]
        }
        let classW = Tensor(w, shape: [1, c])
        let nll = -(logp * Tensor(onehot, shape: [m, c])).sum(axes: [1]) * Tensor(rowWeight, shape: [m])
        let weightSum = rowWeight.reduce(0, +)
        guard labelSmoothing > 0 else { return reduceRows(nll, reduction, meanDivisor: weightSum, shape: logits.shape) }
        let valid = Tensor(targets.map { $0 == ignoreIndex ? 0 : 1 }, shape: [m])
        let smooth = -(logp * classW).sum(axes: [1]) * valid
        // Both terms' means divide by the summed weights of the non-ignored targets (PyTorch 2.x).
        return reduceRows(nll * (1 - labelSmoothing) + smooth * (labelSmoothing / Float(c)), reduction,
                          meanDivisor: weightSum, shape: logits.shape)
    }

    /// Reduces per-row losses of (N, C, d…) logits: `.none` gives shape (N, d…), `.mean` divides
    /// the sum by `meanDivisor`.
    private static func reduceRows(_ rows: Tensor, _ reduction: Reduction, meanDivisor: Float, shape: [Int]) -> Tensor {
        switch reduction {
        case .none: return rows.reshaped([shape[0]] + Array(shape.dropFirst(2)))
        case .sum: return rows.sum()
        case .mean: return rows.sum() / meanDivisor
        }
    }

    /// BCE with logits: −[p·y·log σ(x) + (1−y)·log(1−σ(x))], numerically stable.
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, targets: Tensor, posWeight: Tensor? = nil,
                                                    reduction: Reduction = .mean) -> Tensor {
        checkShape(logits.shape == targets.shape, "binary_cross_entropy_with_logits: logits \(logits.shape) and targets \(targets.shape) differ")
        // log σ(x) = −softplus(−x); log(1 − σ(x)) = −softplus(x)
        let logSig = -(-logits).softplus(beta: 1, threshold: 1e30)
        let logOneMinus = -logits.softplus(beta: 1, threshold: 1e30)
        let pos = posWeight.map { targets * $0 } ?? targets
        return reduce(-(pos * logSig + (1 - targets) * logOneMinus), reduction)
    }

    public static func l1(_ x: Tensor, _ y: Tensor, reduction: Reduction = .mean) -> Tensor { reduce((x - y).abs(), reduction) }

    public static func mse(_ x: Tensor, _ y: Tensor, reduction: Reduction = .mean) -> Tensor {
        let d = x - y
        return reduce(d * d, reduction)
    }

    /// Smooth L1: ½d²/β for |d| < β, |d| − ½β otherwise (β = 0 gives L1).
    public static func smoothL1(_ x: Tensor, _ y: Tensor, beta: Float = 1, reduction: Reduction = .mean) -> Tensor {
        let d = (x - y).abs()
        if beta == 0 { return reduce(d, reduction) }
        let quad = d * d * (0.5 / beta), lin = d - 0.5 * beta
        return reduce(Tensor.where(d.lt(beta), quad, lin), reduction)
    }

    /// torchvision's sigmoid focal loss: α_t·(1 − p_t)^γ·BCE, α < 0 disables weighting.
    public static func sigmoidFocalLoss(_ logits: Tensor, targets: Tensor, alpha: Float = 0.25, gamma: Float = 2,
                                        reduction: Reduction = .none) -> Tensor {
        let p = logits.sigmoid()
        let ce = binaryCrossEntropyWithLogits(logits, targets: targets, reduction: .none)
        let pt = p * targets + (1 - p) * (1 - targets)
        var loss = ce * (1 - pt).pow(gamma)
        if alpha >= 0 { loss = (targets * alpha + (1 - targets) * (1 - alpha)) * loss }
        return reduce(loss, reduction)
    }
}
