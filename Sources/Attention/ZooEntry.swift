import NN
import TensorCore

/// A module built by the registry, with what the CLI needs to validate its input.
public struct ZooInstance {
    public let module: Module
    /// The input shape the module expects, with `nil` for free extents (e.g. `[nil, 512, nil, nil]`).
    public let inputShape: [Int?]
    /// A further requirement on the whole input shape (a minimum spatial size, a batch that is a
    /// multiple of the clip length, ...): returns a readable reason when `shape` fails it, or nil.
    /// Checked by `mismatch(for:)` after the rank and fixed extents, so the CLI answers one line
    /// instead of trapping inside an op.
    public let requirement: (@Sendable ([Int]) -> String?)?

    public init(module: Module, inputShape: [Int?], requirement: (@Sendable ([Int]) -> String?)? = nil) {
        self.module = module
        self.inputShape = inputShape
        self.requirement = requirement
    }

    /// A requirement that the trailing `minimum.count` axes are at least `minimum`, e.g.
    /// `atLeast([3, 3], because: "the 3×3 kernel without padding")` on an (N, C, H, W) input.
    public static func atLeast(_ minimum: [Int], because reason: String) -> @Sendable ([Int]) -> String? {
        { shape in
            let tail = Array(shape.suffix(minimum.count))
            guard tail.count == minimum.count, zip(tail, minimum).allSatisfy({ $0 >= $1 }) else {
                return "input of shape \(shape) is too small: the last \(minimum.count) axes must be at least \(minimum) (\(reason))"
            }
            return nil
        }
    }

    /// A requirement that an (N, C, H, W) input is at least the extent of a `kernel`×`kernel`
    /// convolution with this padding and dilation (PyTorch's "kernel size can't be greater than
    /// actual input size"), so the CLI answers before the convolution allocates anything.
    public static func convolutionFits(kernel k: Int, padding: Int, dilation: Int) -> @Sendable ([Int]) -> String? {
        let m = Swift.max(1, dilation * (k - 1) + 1 - 2 * padding)
        return atLeast([m, m], because: "the \(k)×\(k) kernel with padding \(padding) and dilation \(dilation)")
    }

    /// A readable reason why `shape` does not fit, or nil.
    public func mismatch(for shape: [Int]) -> String? {
        guard shape.count == inputShape.count else {
            return "input of shape \(shape) has rank \(shape.count), expected rank \(inputShape.count) \(ZooInstance.describe(inputShape))"
        }
        for (i, (got, want)) in zip(shape, inputShape).enumerated() {
            if let want, want != got { return "input of shape \(shape) has \(got) at axis \(i), expected \(want) \(ZooInstance.describe(inputShape))" }
            if got <= 0 { return "input of shape \(shape) has an empty axis \(i)" }
        }
        return requirement?(shape)
    }

    static func describe(_ s: [Int?]) -> String { "(" + s.map { $0.map(String.init) ?? "*" }.joined(separator: ", ") + ")" }
}

/// One registry row: identity, provenance, shape contract and factory of a zoo module.
public struct ZooEntry: Sendable {
    /// Short CLI key, e.g. `se`.
    public let key: String
    /// Catalogue ID, e.g. `D01`.
    public let catalogueID: String
    /// Swift type name (the reference class name in UpperCamelCase).
    public let className: String
    /// Paper title and year.
    public let paper: String
    /// The reference implementation followed (seed file and/or repository path).
    public let reference: String
    /// Shape contract in words, e.g. `(N, C, H, W) → (N, C, H, W)`.
    public let shapeContract: String
    /// The seed's test shape, used by `bench` and the tour.
    public let seedShape: [Int]
    /// Further shapes `bench` times (the seed tests PSA at two sizes).
    public let extraBenchShapes: [[Int]]
    /// Every shape `bench` times: the seed shape first.
    public var benchShapes: [[Int]] { [seedShape] + extraBenchShapes }
    /// Builds the module from seed-named arguments (reads each with its default).
    public let make: @Sendable (ModuleArguments) throws -> ZooInstance

    public init(key: String, catalogueID: String, className: String, paper: String, reference: String,
                shapeContract: String, seedShape: [Int], extraBenchShapes: [[Int]] = [],
                make: @escaping @Sendable (ModuleArguments) throws -> ZooInstance) {
        self.key = key
        self.catalogueID = catalogueID
        self.className = className
        self.paper = paper
        self.reference = reference
        self.shapeContract = shapeContract
        self.seedShape = seedShape
        self.extraBenchShapes = extraBenchShapes
        self.make = make
    }

    /// Builds with `args` and rejects arguments the factory did not read.
    public func build(_ args: ModuleArguments) throws -> ZooInstance {
        let instance = try make(args)
        try args.finish()
        return instance
    }

    /// Builds the default configuration.
    public func buildDefault() throws -> ZooInstance { try build(ModuleArguments(module: key)) }
}
