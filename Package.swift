// swift-tools-version:6.0
import PackageDescription

// Release builds of the numeric targets trade bounds checks for speed; debug builds keep them.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "AttentionZoo",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "TensorIO", targets: ["TensorIO"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Attention", targets: ["Attention"]),
        .library(name: "Boxes", targets: ["Boxes"]),
        .library(name: "COCOEval", targets: ["COCOEval"]),
        .executable(name: "attnzoo", targets: ["attnzoo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=fast", "-Wno-psabi"])]),
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
        .target(name: "TensorCore", dependencies: ["Kernels"], swiftSettings: fast),
        .target(name: "TensorIO", swiftSettings: fast),
        .target(name: "NN", dependencies: ["TensorCore", "TensorIO"], swiftSettings: fast),
        .target(name: "Attention", dependencies: ["NN", "Kernels"], swiftSettings: fast),
        .target(name: "Boxes", dependencies: ["TensorCore", "CPNG"], swiftSettings: fast),
        .target(name: "COCOEval", swiftSettings: fast),
        .target(name: "TestSupport", dependencies: ["TensorCore", "TensorIO", "NN"]),
        .executableTarget(name: "attnzoo", dependencies: [
            "TensorCore", "TensorIO", "NN", "Attention", "Boxes", "COCOEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "attnzoo-bench", dependencies: [
            "CBLAS", "Kernels", "TensorCore", "TensorIO", "NN", "Attention", "Boxes", "COCOEval",
        ], swiftSettings: fast),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AttentionTests", dependencies: ["Attention", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "BoxesTests", dependencies: ["Boxes", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "COCOEvalTests", dependencies: ["COCOEval", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "TensorIO", "TensorCore"]),
    ]
)
