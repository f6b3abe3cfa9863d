/// Builds the detector a configuration describes (Faster R-CNN with FPN on a named backbone).
/// PLACEHOLDER until the model lands: the model file replaces this body.
public func buildDetector(_ config: DetectorConfig) throws -> any Detector {
    throw DetectionError("the Faster R-CNN model is not built yet")
}
