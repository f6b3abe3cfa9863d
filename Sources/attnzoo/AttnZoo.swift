import ArgumentParser
import Foundation

/// The `attnzoo` command line: thin wrappers over the library targets.
@main
struct AttnZoo: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "attnzoo",
        abstract: "CNN attention modules, box geometry and COCO evaluation on a Swift CPU tensor engine.",
        version: version,
        subcommands: [
            Tour.self,
            ListModules.self,
            RunModule.self,
            SummaryCommand.self,
            BenchModules.self,
            IouCommand.self,
            NmsCommand.self,
            BoxLossCommand.self,
            DrawCommand.self,
        ]
    )
}
