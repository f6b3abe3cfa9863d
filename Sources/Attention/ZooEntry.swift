import NN
import TensorCore

/// A module built by the registry, with what the CLI needs to validate its input.
public struct ZooInstance {
    public let module: Module
    /// The input shape the module expects, with `nil` for free extents (e.g. `[nil, 512, nil, nil]`).
    public let inputShape: [Int?]

    public init(module: Module, inputShape: [Int?]) {
        self.module = module
        self.inputShape = inputShape
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
        return nil
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
    /// Builds the module from seed-named arguments (reads each with its default).
    public let make: @Sendable (ModuleArguments) throws -> ZooInstance

    public init(key: String, catalogueID: String, className: String, paper: String, reference: String,
                shapeContract: String, seedShape: [Int], make: @escaping @Sendable (ModuleArguments) throws -> ZooInstance) {
        self.key = key
        self.catalogueID = catalogueID
        self.className = className
        self.paper = paper
        self.reference = reference
        self.shapeContract = shapeContract
        self.seedShape = seedShape
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
