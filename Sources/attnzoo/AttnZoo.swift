import ArgumentParser
import Foundation
import TensorCore

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
            CocoEvalCommand.self,
            BackboneCommand.self,
            PreciseBNCommand.self,
            MakeDatasetCommand.self,
            CheckDatasetCommand.self,
            TrainCommand.self,
            EvaluateCommand.self,
            DetectCommand.self,
            ExperimentCommand.self,
            MPICheckCommand.self,
        ]
    )

    /// Parses and runs; every failure becomes one line on stderr (`attnzoo: …`) and a non-zero exit,
    /// including argument errors, which swift-argument-parser would follow with help and usage text.
    static func main() {
        // A shape check failing deep inside a module (an input too small for a kernel, train-mode
        // BatchNorm over one value per channel) ends the run with one line, not a crash trace.
        ShapeCheck.installReporter { message in
            FileHandle.standardError.write(Data("attnzoo: \(message)\n".utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let line = first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
            FileHandle.standardError.write(Data("attnzoo: \(line)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
