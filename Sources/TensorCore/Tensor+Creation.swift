/// Constructors: constants, ranges and seeded random tensors.
extension Tensor {
    public static func full(_ value: Float, shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage(count: shapeCount(shape), repeating: value), shape: shape)
    }
    public static func zeros(_ shape: [Int]) -> Tensor { full(0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { full(1, shape: shape) }
    public static func zeros(like t: Tensor) -> Tensor { zeros(t.shape) }
    public static func ones(like t: Tensor) -> Tensor { ones(t.shape) }

    /// `start, start+step, …` below `end`, as `torch.arange`.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        checkShape(step != 0, "arange: step must be non-zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step }, shape: [n])
    }

    /// Evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(count - 1)
        return Tensor((0..<count).map { start + Float($0) * step })
    }

    /// Standard normal samples from `generator` (default: the task's seeded generator).
    public static func randn(_ shape: [Int], generator: RandomGenerator = .current) -> Tensor {
        Tensor(generator.normal(shapeCount(shape)), shape: shape)
    }

    /// Uniform samples in [low, high).
    public static func rand(_ shape: [Int], low: Float = 0, high: Float = 1,
                            generator: RandomGenerator = .current) -> Tensor {
        Tensor(generator.uniform(shapeCount(shape)).map { low + (high - low) * $0 }, shape: shape)
    }

    /// The n×n identity matrix.
    public static func eye(_ n: Int) -> Tensor {
        let t = zeros([n, n])
        for i in 0..<n { t.data[i * n + i] = 1 }
        return t
    }
}
