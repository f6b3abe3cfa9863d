import ArgumentParser
import Foundation

/// `attnzoo tour`: the main job (`make run`).
struct Tour: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the main job: a tour of the engine and the zoo with shapes, parameters and timings.")

    func run() throws {
        print("AttentionZoo \(AttnZoo.version)")
    }
}
