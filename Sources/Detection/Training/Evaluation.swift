import COCOEval
import Foundation
import NN
import TensorCore

/// COCO evaluation of a detector on a dataset split with our `COCOEval`.
public struct DetectorEvaluation: Sendable {
    /// The results as pycocotools' `loadRes` JSON: `[{image_id, category_id, bbox [x, y, w, h], score}]`.
    public let resultsJSON: String
    public let detections: Int
    public let coco: COCOEvaluation
    public let mmdet: COCOEvaluation
    /// Seconds spent in the detector's `detect` calls (model time, without decoding and COCOeval).
    public var detectSeconds: Double = 0

    /// Names of the twelve stats for a preset (pycocotools' order).
    public static func statNames(_ preset: COCOPreset) -> [String] {
        let ar = preset == .coco ? ["AR1", "AR10", "AR100"] : ["AR100", "AR300", "AR1000"]
        return ["AP", "AP50", "AP75", "APs", "APm", "APl"] + ar + ["ARs", "ARm", "ARl"]
    }

    /// Runs `detector` in eval mode over every image of `dataset` at its native size (the detector
    /// resizes), converts the outputs (label l → `dataset.categories[l-1].id`, boxes to xywh) and
    /// evaluates them against the annotation file with the `coco` and `mmdet` presets. The
    /// detector's training mode is restored afterwards.
    public static func run(_ detector: any Detector, dataset: COCODataset, batchSize: Int = 2, threads: Int = 2,
                           progress: ((Int, Int) -> Void)? = nil) throws -> DetectorEvaluation {
        try run(detector, dataset: dataset, batchSize: batchSize, threads: threads, part: 0, of: 1, gather: { [$0] }, progress: progress)!
    }

    /// The evaluation split over `parts` processes (MPI ranks): process `part` detects every
    /// `parts`-th batch, `gather` brings every process's detections to one (nil elsewhere), which
    /// puts them in batch order — the detections, their order and the stats are those of `run` in
    /// one process — and evaluates. Returns the evaluation there, nil on the other processes;
    /// `detectSeconds` is that process's own detection time.
    public static func run(_ detector: any Detector, dataset: COCODataset, batchSize: Int, threads: Int, part: Int, of parts: Int,
                           gather: ([UInt8]) -> [[UInt8]]?, progress: ((Int, Int) -> Void)? = nil) throws -> DetectorEvaluation? {
        guard parts >= 1, (0..<parts).contains(part) else { throw TrainingError("evaluation part \(part) of \(parts): expected 0 ≤ part < parts") }
        let loader = try DetectionLoader(dataset: dataset, batchSize: batchSize, shuffle: false, augmentation: .none, threads: threads)
        let wasTraining = detector.training
        detector.eval()
        defer { detector.train(wasTraining) }
        var fragments: [Int: [String]] = [:], detectSeconds = 0.0
        for i in stride(from: part, to: loader.iterationsPerEpoch, by: parts) {
            let batch = try loader.batch(epoch: 0, iteration: i)
            let t0 = Date()
            let outputs = withNoGrad { detector.detect(images: batch.images) }
            detectSeconds += Date().timeIntervalSince(t0)
            guard outputs.count == batch.images.count else {
                throw TrainingError("detector returned \(outputs.count) outputs for \(batch.images.count) images")
            }
            for (out, target) in zip(outputs, batch.targets) {
                guard out.boxes.count == 4 * out.count, out.scores.count == out.count else {
                    throw TrainingError("detector output for image \(target.imageId): \(out.boxes.count) box values, "
                                        + "\(out.scores.count) scores, \(out.count) labels (4·K, K, K expected)")
                }
                for k in 0..<out.count {
                    let label = out.labels[k]
                    guard label >= 1 && label <= dataset.categories.count else {
                        throw TrainingError("detector output label \(label) for image \(target.imageId) is outside 1…\(dataset.categories.count)")
                    }
                    let b = Array(out.boxes[4 * k..<4 * k + 4]), s = out.scores[k]
                    guard b.allSatisfy(\.isFinite), s.isFinite else { continue }
                    fragments[i, default: []].append("{\"image_id\":\(target.imageId),\"category_id\":\(dataset.categories[label - 1].id),"
                        + "\"bbox\":[\(b[0]),\(b[1]),\(max(0, b[2] - b[0])),\(max(0, b[3] - b[1]))],\"score\":\(s)}")
                }
            }
            progress?(min(i + parts, loader.iterationsPerEpoch), loader.iterationsPerEpoch)
        }
        let mine = parts == 1 ? [] : Array(try JSONEncoder().encode(fragments))
        var all = fragments
        if parts > 1 {
            guard let blobs = gather(mine) else { return nil }
            all = [:]
            for blob in blobs {
                let part = try JSONDecoder().decode([Int: [String]].self, from: Data(blob))
                all.merge(part) { a, _ in a }
            }
        }
        let objects = all.keys.sorted().flatMap { all[$0]! }
        let json = "[" + objects.joined(separator: ",") + "]", count = objects.count
        let gt = try COCOGroundTruth(path: dataset.annotationFile)
        let dt = try COCODetections(data: Data(json.utf8), source: "detections", groundTruth: gt)
        let coco = try COCOEvaluation(groundTruth: gt, detections: dt, params: COCOParams(preset: .coco))
        let mmdet = try COCOEvaluation(groundTruth: gt, detections: dt, params: COCOParams(preset: .mmdet))
        return DetectorEvaluation(resultsJSON: json, detections: count, coco: coco, mmdet: mmdet, detectSeconds: detectSeconds)
    }

    /// `{"coco": {"AP": …, …, "stats": […]}, "mmdet": {…}, "detections": n}`.
    public var jsonObject: [String: Any] {
        Self.statsObject(coco: coco.stats, mmdet: mmdet.stats, detections: detections)
    }

    static func statsObject(coco: [Double], mmdet: [Double], detections: Int) -> [String: Any] {
        func named(_ stats: [Double], _ preset: COCOPreset) -> [String: Any] {
            var d: [String: Any] = ["stats": stats]
            for (n, v) in zip(statNames(preset), stats) { d[n] = v }
            return d
        }
        return ["coco": named(coco, .coco), "mmdet": named(mmdet, .mmdet), "detections": detections]
    }
}
