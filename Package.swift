// swift-tools-version:6.0
import Foundation
import PackageDescription

// Release builds of the numeric targets trade bounds checks for speed; debug builds keep them.
// They are also compiled for the building machine's vector unit: on x86-64 with AVX2 and FMA the
// Swift loops (SIMD8 arithmetic, auto-vectorised maps) use them instead of baseline SSE2
// (`-target-cpu haswell`; e.g. broadcast multiply 1.5x, adaptive pooling 1.5x faster). The
// binaries then need such a CPU, as with -march=native. `AZOO_TARGET_CPU=<cpu>` picks another
// LLVM CPU name, `AZOO_TARGET_CPU=generic` the baseline. (The C kernels choose at run time.)
let hostCPU: [String] = {
    if let cpu = Context.environment["AZOO_TARGET_CPU"] { return cpu.isEmpty || cpu == "generic" ? [] : ["-target-cpu", cpu] }
    #if os(Linux) && arch(x86_64)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let flags = Set(line.split(separator: " ").map(String.init))
    return ["avx2", "fma", "bmi2", "f16c", "movbe"].allSatisfy(flags.contains) ? ["-target-cpu", "haswell"] : []
    #else
    return []
    #endif
}()
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + hostCPU, .when(configuration: .release))]

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
        .library(name: "Backbones", targets: ["Backbones"]),
        .library(name: "Detection", targets: ["Detection"]),
        .library(name: "Distributed", targets: ["Distributed"]),
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
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=fast", "-Wno-psabi"])]),
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
        .target(name: "TensorCore", dependencies: ["Kernels"], swiftSettings: fast),
        .target(name: "TensorIO", swiftSettings: fast),
        .target(name: "NN", dependencies: ["TensorCore", "TensorIO", "Kernels"], swiftSettings: fast),
        .target(name: "Attention", dependencies: ["NN", "Kernels"], swiftSettings: fast),
        .target(name: "Boxes", dependencies: ["TensorCore", "CPNG"], swiftSettings: fast),
        .target(name: "COCOEval", swiftSettings: fast),
        .target(name: "Distributed", dependencies: ["NN", "TensorCore"], swiftSettings: fast),
        .target(name: "Backbones", dependencies: ["NN", "Attention", "TensorIO", "Kernels"], swiftSettings: fast),
        .target(name: "Detection", dependencies: ["Backbones", "Boxes", "COCOEval", "TensorIO", "CTurboJPEG", "CPNG", "Kernels", "Distributed"],
                swiftSettings: fast),
        .target(name: "TestSupport", dependencies: ["TensorCore", "TensorIO", "NN"]),
        .executableTarget(name: "attnzoo", dependencies: [
            "TensorCore", "TensorIO", "NN", "Attention", "Boxes", "COCOEval", "Backbones", "Detection", "Distributed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "attnzoo-bench", dependencies: [
            "CBLAS", "Kernels", "TensorCore", "TensorIO", "NN", "Attention", "Boxes", "COCOEval", "Backbones", "Detection",
        ], swiftSettings: fast),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AttentionTests", dependencies: ["Attention", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "BoxesTests", dependencies: ["Boxes", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "COCOEvalTests", dependencies: ["COCOEval", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "BackbonesTests", dependencies: ["Backbones", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Backbones", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "TensorIO", "TensorCore"]),
    ]
)
