/// A rejected box input; the message names the argument and the offending element.
public struct BoxError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Checks that `boxes` holds whole boxes of finite coordinates.
func checkBoxValues(_ boxes: [Float], name: String) throws {
    guard boxes.count % 4 == 0 else {
        throw BoxError("\(name): expected N×4 coordinates, got \(boxes.count) values")
    }
    for (k, v) in boxes.enumerated() where !v.isFinite {
        throw BoxError("\(name): box \(k / 4) has a non-finite coordinate (\(v)) at column \(k % 4)")
    }
}

/// Validates `boxes` (N×4 in `format`) and returns them as corners: finite coordinates,
/// `x2 ≥ x1` and `y2 ≥ y1` (non-negative width and height).
func validatedCorners(_ boxes: [Float], format: BoxFormat, name: String) throws -> CornerBoxes {
    try checkBoxValues(boxes, name: name)
    let c = CornerBoxes(boxes, format: format)
    for i in 0..<c.count {
        if !(c.x2[i] >= c.x1[i]) {
            throw BoxError("\(name): box \(i) has x2 < x1 (x1=\(c.x1[i]), x2=\(c.x2[i]), format \(format.rawValue))")
        }
        if !(c.y2[i] >= c.y1[i]) {
            throw BoxError("\(name): box \(i) has y2 < y1 (y1=\(c.y1[i]), y2=\(c.y2[i]), format \(format.rawValue))")
        }
    }
    return c
}

/// Validates a box array against its declared shape (must be N×4) and contents.
///
/// Use at input boundaries (files, CLI): `shape` comes from the file, `name` names it.
public func validateBoxes(_ boxes: [Float], shape: [Int], format: BoxFormat = .xyxy, name: String) throws {
    guard shape.count == 2, shape[1] == 4 else {
        throw BoxError("\(name): expected shape N×4, got \(shape)")
    }
    _ = try validatedCorners(boxes, format: format, name: name)
}

/// Checks a threshold lies in [0, 1].
func checkUnitInterval(_ value: Double, name: String) throws {
    guard value >= 0, value <= 1 else { throw BoxError("\(name) must lie in [0, 1], got \(value)") }
}

/// Checks a per-box array (scores, weights) matches the box count and is finite.
func checkPerBox(_ values: [Float], count: Int, name: String) throws {
    guard values.count == count else {
        throw BoxError("\(name): expected \(count) values (one per box), got \(values.count)")
    }
    for (i, v) in values.enumerated() where !v.isFinite {
        throw BoxError("\(name): value \(i) is not finite (\(v))")
    }
}
