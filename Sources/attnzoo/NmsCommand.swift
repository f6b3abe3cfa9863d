import ArgumentParser
import Boxes
import Foundation
import TensorIO

/// `attnzoo nms`: the NMS family on .npy boxes and scores.
struct NmsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nms",
        abstract: "Non-maximum suppression (greedy, DIoU, Cluster, Soft, Matrix); writes kept indices as int64 .npy.")

    @Option(help: "Boxes, N×4 .npy.") var boxes: String
    @Option(help: "Scores, length-N .npy.") var scores: String
    @Option(help: "Class of each box, length-N .npy (integers): class-aware NMS.") var classes: String?
    @Option(name: .customLong("iou-threshold"), help: "IoU threshold in [0, 1] (a box is suppressed when its overlap is greater).")
    var iouThreshold: Double
    @Option(help: "greedy, diou, cluster, cluster-weighted, cluster-diou, soft-linear, soft-gaussian or matrix.")
    var method: NMSMethod = .greedy
    @Option(help: "Gaussian σ: soft-gaussian exp(−IoU²/σ) (default 0.5), matrix exp(−σ·IoU²) (default 2.0).")
    var sigma: Float?
    @Option(name: .customLong("score-threshold"), help: "Soft: drop boxes decayed below it (default 0.001); matrix: keep new scores ≥ it; others: drop boxes scoring below it first.")
    var scoreThreshold: Float?
    @Option(help: "Box layout: xyxy, xywh, cxcywh or yxyx.") var format: BoxFormat = .xyxy
    @Option(help: "Kept indices, int64 .npy, by decreasing final score.") var output: String
    @Option(name: .customLong("scores-output"), help: "Final scores of the kept boxes (float32 .npy; decayed for soft and matrix).")
    var scoresOutput: String?
    @Option(name: .customLong("boxes-output"), help: "cluster-weighted: the merged kept boxes (K×4 float32 .npy, same format).")
    var boxesOutput: String?
    @Option(name: .customLong("repeat"), help: "Benchmark: repeat the computation N times, print the median ms to stderr.")
    var repeatCount: Int?

    func run() throws {
        guard iouThreshold >= 0, iouThreshold <= 1 else { throw CLIError("--iou-threshold must lie in [0, 1], got \(iouThreshold)") }
        if let sigma, !(sigma > 0 && sigma.isFinite) { throw CLIError("--sigma must be finite and > 0, got \(sigma)") }
        if let scoreThreshold, !scoreThreshold.isFinite { throw CLIError("--score-threshold must be finite, got \(scoreThreshold)") }
        if boxesOutput != nil, method != .clusterWeighted { throw CLIError("--boxes-output needs --method cluster-weighted") }
        let b = try BoxFiles.boxes(boxes, option: "--boxes", format: format)
        let n = b.count / 4
        let s = try BoxFiles.vector(scores, option: "--scores", count: n).asFloat32()
        if let k = s.firstIndex(where: { !$0.isFinite }) { throw CLIError("--scores \(scores): value \(k) is not finite (\(s[k]))") }
        var c: [Int]?
        if let classes {
            let a = try BoxFiles.vector(classes, option: "--classes", count: n)
            if a.dtype != .int64, a.dtype != .int32, a.dtype != .uint8, a.dtype != .bool,
               let k = a.asFloat64().firstIndex(where: { $0 != $0.rounded() }) {
                throw CLIError("--classes \(classes): value \(k) is not an integer")
            }
            c = a.asInt64().map { Int($0) }
        }
        let r = try BoxFiles.run {
            try BoxFiles.benchmark(repeatCount) {
                try nonMaximumSuppression(b, scores: s, classes: c, method: method, iouThreshold: iouThreshold,
                                          sigma: sigma, scoreThreshold: scoreThreshold, format: format)
            }
        }
        try BoxFiles.write(HostArray(int64: r.keep.map { Int64($0) }, shape: [r.keep.count]), to: output, option: "--output")
        if let scoresOutput {
            try BoxFiles.write(HostArray(float32: r.scores, shape: [r.scores.count]), to: scoresOutput, option: "--scores-output")
        }
        if let boxesOutput, let merged = r.boxes {
            try BoxFiles.write(HostArray(float32: merged, shape: [r.keep.count, 4]), to: boxesOutput, option: "--boxes-output")
        }
    }
}
