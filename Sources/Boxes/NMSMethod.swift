/// Every NMS variant of this target under one name (the CLI's `--method`).
public enum NMSMethod: String, CaseIterable, Sendable {
    case greedy, diou, cluster
    case clusterWeighted = "cluster-weighted"
    case clusterDIoU = "cluster-diou"
    case softLinear = "soft-linear"
    case softGaussian = "soft-gaussian"
    case matrix

    /// Whether the method rescores boxes (Soft-NMS, Matrix NMS).
    public var rescores: Bool { self == .softLinear || self == .softGaussian || self == .matrix }

    /// The default σ: 0.5 for Soft-NMS (mmcv), 2.0 for Matrix NMS (mmdet); unused otherwise.
    public var defaultSigma: Float { self == .matrix ? 2.0 : 0.5 }
}

/// Runs `method` on N×4 `boxes` with per-box `scores` and optional per-box `classes`.
///
/// - `iouThreshold` (in [0, 1]) drives every method except Matrix NMS, which only validates it.
/// - `sigma` defaults to ``NMSMethod/defaultSigma``.
/// - `scoreThreshold`: Soft-NMS drops boxes decayed below it (default 0.001); Matrix NMS keeps
///   boxes whose new score reaches it (default: all); the other methods first drop boxes
///   scoring below it (default: none).
///
/// Returns kept indices into the input by decreasing final score, with their final scores
/// (and merged boxes for `cluster-weighted`).
public func nonMaximumSuppression(_ boxes: [Float], scores: [Float], classes: [Int]? = nil,
                                  method: NMSMethod, iouThreshold: Double, sigma: Float? = nil,
                                  scoreThreshold: Float? = nil, format: BoxFormat = .xyxy) throws -> NMSResult {
    try checkUnitInterval(iouThreshold, name: "iou threshold")
    let sigma = sigma ?? method.defaultSigma
    switch method {
    case .softLinear, .softGaussian:
        return try softNMS(boxes, scores: scores, classes: classes, iouThreshold: iouThreshold,
                           kernel: method == .softLinear ? .linear : .gaussian, sigma: sigma,
                           scoreThreshold: scoreThreshold ?? 0.001, format: format)
    case .matrix:
        return try matrixNMS(boxes, scores: scores, classes: classes, kernel: .gaussian, sigma: sigma,
                             scoreThreshold: scoreThreshold, format: format)
    default: break
    }
    // Greedy family: optional score filter, then map kept positions back to input indices.
    try checkBoxValues(boxes, name: "boxes")
    try checkPerBox(scores, count: boxes.count / 4, name: "scores")
    if let t = scoreThreshold, !t.isFinite { throw BoxError("score threshold must be finite, got \(t)") }
    let chosen = scoreThreshold.map { t in scores.indices.filter { scores[$0] >= t } } ?? Array(scores.indices)
    let subset = scoreThreshold == nil ? boxes : chosen.flatMap { boxes[(4 * $0)..<(4 * $0 + 4)] }
    let subScores = chosen.map { scores[$0] }
    let subClasses = classes.map { c in c.count == scores.count ? chosen.map { c[$0] } : c }
    var r: NMSResult
    switch method {
    case .greedy:
        let keep = try subClasses.map { try batchedNMS(subset, scores: subScores, classes: $0, iouThreshold: iouThreshold, format: format) }
            ?? nms(subset, scores: subScores, iouThreshold: iouThreshold, format: format)
        r = NMSResult(keep: keep, scores: keep.map { subScores[$0] })
    case .diou:
        let keep = try diouNMS(subset, scores: subScores, classes: subClasses, iouThreshold: iouThreshold, format: format)
        r = NMSResult(keep: keep, scores: keep.map { subScores[$0] })
    default:
        let variant: ClusterNMSVariant = method == .cluster ? .plain : (method == .clusterWeighted ? .weighted : .diou)
        r = try clusterNMS(subset, scores: subScores, classes: subClasses, iouThreshold: iouThreshold,
                           variant: variant, format: format)
    }
    r.keep = r.keep.map { chosen[$0] }
    return r
}
