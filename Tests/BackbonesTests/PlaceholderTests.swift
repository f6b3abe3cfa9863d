import Testing
@testable import Backbones

@Test func backbonesTargetBuilds() { #expect(String(describing: Backbones.self) == "Backbones") }
