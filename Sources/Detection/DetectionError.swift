/// A rejected input of a detection primitive; the message names the argument and the element.
public struct DetectionError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
