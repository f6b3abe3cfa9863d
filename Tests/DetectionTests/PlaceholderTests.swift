import Testing
@testable import Detection

@Test func detectionTargetBuilds() { #expect(String(describing: Detection.self) == "Detection") }
