import Boxes
import Foundation
import TensorCore
import TestSupport
import Testing

/// Float32 values of a fixture entry.
func floats(_ fx: Fixture, _ key: String) throws -> [Float] { try fx.tensor(key).scalars }

/// Int64 entries of a fixture as `Int`.
func ints(_ fx: Fixture, _ key: String) throws -> [Int] { try fx.array(key).asInt64().map { Int($0) } }

/// Records an issue unless `actual` matches `expected` (`|a − b| ≤ atol + rtol·|b|`, NaN = NaN).
func expectValues(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-4, atol: Float = 1e-5,
                  _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(Tensor(actual), Tensor(expected), rtol: rtol, atol: atol, what, sourceLocation: sourceLocation)
}

/// Deterministic random xyxy boxes (LCG), sides in [0.5, 10.5).
func randomBoxes(_ n: Int, seed: UInt64, spread: Float = 20) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24)
    }
    var out: [Float] = []
    for _ in 0..<n {
        let x = next() * spread, y = next() * spread
        out += [x, y, x + next() * 10 + 0.5, y + next() * 10 + 0.5]
    }
    return out
}

/// Deterministic scores in [0, 1).
func randomScores(_ n: Int, seed: UInt64) -> [Float] {
    randomBoxes((n + 3) / 4, seed: seed, spread: 1).prefix(n).map { $0.truncatingRemainder(dividingBy: 1) }
}

/// Whether `body` throws a ``BoxError`` whose message contains `fragment`.
func expectBoxError(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning '\(fragment)', got none", sourceLocation: sourceLocation)
    } catch let e as BoxError {
        #expect(e.description.contains(fragment), "message '\(e.description)' lacks '\(fragment)'", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
