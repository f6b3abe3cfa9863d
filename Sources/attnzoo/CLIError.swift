import ArgumentParser
import Foundation

/// An error the CLI reports as one readable line on stderr before exiting non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
