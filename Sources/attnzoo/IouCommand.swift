import ArgumentParser
import Boxes
import Dispatch
import Foundation
import TensorIO

extension BoxFormat: ExpressibleByArgument {}
extension IoUKind: ExpressibleByArgument {}
extension NMSMethod: ExpressibleByArgument {}
extension IoULossMode: ExpressibleByArgument {}
extension CIoUAlpha: ExpressibleByArgument {}

/// File helpers shared by the box commands.
enum BoxFiles {
    /// Reads an N×4 box array from `path`, validated in `format`; errors name `option` and the file.
    static func boxes(_ path: String, option: String, format: BoxFormat) throws -> [Float] {
        let a = try read(path, option: option)
        let values = a.asFloat32()
        do { try validateBoxes(values, shape: a.shape, format: format, name: "\(option) \(path)") } catch let e as BoxError {
            throw CLIError(e.description)
        }
        return values
    }

    /// Reads a 1-D array of `count` values from `path`.
    static func vector(_ path: String, option: String, count: Int) throws -> HostArray {
        let a = try read(path, option: option)
        guard a.shape == [count] else {
            throw CLIError("\(option) \(path): expected shape [\(count)] (one value per box), got \(a.shape)")
        }
        return a
    }

    static func read(_ path: String, option: String) throws -> HostArray {
        do { return try NPY.read(from: URL(fileURLWithPath: path)) } catch {
            throw CLIError("\(option) \(path): \(error)")
        }
    }

    static func write(_ array: HostArray, to path: String, option: String) throws {
        do { try NPY.write(array, to: URL(fileURLWithPath: path)) } catch {
            throw CLIError("\(option) \(path): \(error)")
        }
    }

    /// Runs `body` `count` times and prints the median wall time in milliseconds to stderr.
    static func benchmark<T>(_ count: Int?, _ body: () throws -> T) throws -> T {
        guard let count else { return try body() }
        guard count > 0 else { throw CLIError("--repeat must be positive, got \(count)") }
        var result = try body()   // warm-up
        var times: [Double] = []
        for _ in 0..<count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            result = try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        FileHandle.standardError.write(Data(String(format: "median_ms %.4f\n", times[times.count / 2]).utf8))
        return result
    }

    /// Re-throws library errors as one-line CLI errors.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as BoxError { throw CLIError(e.description) }
    }
}

/// `attnzoo iou`: pairwise or aligned IoU-family matrices between two .npy box sets.
struct IouCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iou",
        abstract: "IoU, GIoU, DIoU, CIoU or EIoU between two box sets (N×4 and M×4 .npy), written as .npy float32.")

    @Option(help: "Measure: iou, giou, diou, ciou or eiou.") var kind: IoUKind
    @Option(help: "First boxes, N×4 .npy.") var boxes1: String
    @Option(help: "Second boxes, M×4 .npy.") var boxes2: String
    @Option(help: "Box layout: xyxy, xywh, cxcywh or yxyx (top, left, bottom, right).") var format: BoxFormat = .xyxy
    @Flag(help: "Element-wise pairs (N = M) giving N values instead of the N×M matrix.") var aligned = false
    @Option(help: "Output .npy (float32, N×M or N).") var output: String
    @Option(name: .customLong("repeat"), help: "Benchmark: repeat the computation N times, print the median ms to stderr.")
    var repeatCount: Int?

    func run() throws {
        let a = try BoxFiles.boxes(boxes1, option: "--boxes1", format: format)
        let b = try BoxFiles.boxes(boxes2, option: "--boxes2", format: format)
        let n = a.count / 4, m = b.count / 4
        if aligned, n != m { throw CLIError("--aligned: --boxes1 has \(n) boxes but --boxes2 has \(m)") }
        let values = try BoxFiles.run {
            try BoxFiles.benchmark(repeatCount) {
                aligned ? try alignedIoU(a, b, kind: kind, format: format) : try pairwiseIoU(a, b, kind: kind, format: format)
            }
        }
        try BoxFiles.write(HostArray(float32: values, shape: aligned ? [n] : [n, m]), to: output, option: "--output")
    }
}
