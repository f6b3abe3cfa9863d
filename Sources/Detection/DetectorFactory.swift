/// Builds the detector a configuration describes (Faster R-CNN with FPN on a named backbone).
/// Throws one line naming the field (unknown backbone, plugin, NMS or box loss; bad sizes).
public func buildDetector(_ config: DetectorConfig) throws -> any Detector {
    try FasterRCNN(config: config)
}
