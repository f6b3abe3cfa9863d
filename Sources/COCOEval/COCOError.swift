import Foundation

/// A rejected COCO input or option: one line naming the file and the offending entry.
public struct COCOError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body(i)` for `i` in `0..<count` over both cores (or all active ones); each call must
/// write only memory of its own. Items are dealt round-robin so uneven work spreads evenly.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let workers = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount))
    if workers <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { escaping in
        let work = SendableBox(escaping)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < count { work.value(i); i += workers }
        }
    }
}

/// Carries a value into a `@Sendable` closure when the parallel uses touch disjoint memory.
struct SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
