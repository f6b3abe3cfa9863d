import Foundation
import TensorCore

/// One layer call recorded by `ModuleSummary` (catalogue A4).
public struct SummaryRow: Sendable {
    /// Dotted module path (`block.conv`), as in `namedModules()`.
    public let name: String
    /// The Swift class name (`Conv2d`).
    public let type: String
    /// Nesting below the model: 1 for its direct layers (containers do not count).
    public let depth: Int
    public let outputShape: [Int]
    /// The layer's own parameters (children excluded).
    public let parameters: Int
    /// Multiply-accumulates of Conv1d/Conv2d/Linear (`out.count × weight.count / outChannels`,
    /// bias adds not counted); for other layers, the products they run themselves outside any
    /// child layer (attention's `matmul`/`bmm`, functional `conv2d`/`linear`), 0 when none.
    /// Deviation: torchsummary/mmcv count conv and linear layers only.
    public let macs: Int
}

/// torchsummary-style layer table (catalogue A4): records, through `Module.callAsFunction`,
/// each non-container layer's output shape, own parameter count and multiply-accumulates.
/// `let rows = ModuleSummary.record(model, input: x)`, then `ModuleSummary.render(...)`.
/// The recorder is task-local: concurrent recordings do not interfere.
/// Rows are in call order, parents before their children (torchinfo's order; torchsummary lists
/// a parent after its children). Deviation: torchsummary counts only `weight` and `bias`
/// attributes as a layer's parameters, so it shows 0 for LSTMCell; we count every own parameter.
public final class ModuleSummary: @unchecked Sendable {
    @TaskLocal static var recorder: ModuleSummary?

    /// Whether a summary is being recorded on this task (fused fast paths then call each layer).
    public static var isRecording: Bool { recorder != nil }

    private var rows: [SummaryRow] = []
    private var depth = 0
    private var names: [ObjectIdentifier: String] = [:]
    private let counter = MACCounter()
    /// MACs of the calls below the one in progress, per nesting level (own = total − children).
    private var childMACs: [Int] = [0]

    /// Runs `model(input)` (eval mode, no tape) recording every layer call.
    public static func record(_ model: Module, input: Tensor) -> [SummaryRow] { measure(model, input: input).rows }

    /// `record`, plus every multiply-accumulate of the forward (the rows' sum and the products the
    /// model runs outside any layer).
    public static func measure(_ model: Module, input: Tensor) -> (rows: [SummaryRow], totalMACs: Int) {
        let r = ModuleSummary()
        for (name, m) in model.namedModules() where r.names[ObjectIdentifier(m)] == nil { r.names[ObjectIdentifier(m)] = name }
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        _ = $recorder.withValue(r) { r.counter.counting { withNoGrad { model.forward(input) } } }
        let layerMACs = r.rows.reduce(0) { $0 + $1.macs }
        return (r.rows, layerMACs + r.counter.total - r.childMACs[0])
    }

    func call(_ module: Module, input: Tensor, _ body: () -> Tensor) -> Tensor {
        if module.isContainer { return body() }
        let index = rows.count
        depth += 1
        let ownDepth = depth   // 1 for the model's direct layers
        let before = counter.total
        childMACs.append(0)
        let out = body()
        let below = childMACs.removeLast()
        let inside = counter.total - before
        childMACs[childMACs.count - 1] += inside
        depth -= 1
        let own = module.members().reduce(0) { n, m in if case .parameter(let p) = m.1 { return n + p.value.count } else { return n } }
        var macs = 0
        if let conv = module as? Conv2d {
            macs = out.count * conv.weight.value.count / conv.weight.shape[0]
        } else if let conv = module as? Conv1d {
            macs = out.count * conv.weight.value.count / conv.weight.shape[0]
        } else if let lin = module as? Linear {
            macs = out.count * lin.weight.shape[1]
        } else {
            macs = inside - below
        }
        let row = SummaryRow(name: names[ObjectIdentifier(module)] ?? "", type: String(describing: type(of: module)),
                             depth: ownDepth, outputShape: out.shape, parameters: own, macs: macs)
        rows.insert(row, at: index)
        return out
    }

    /// Renders rows as torchsummary does, with totals.
    public static func render(_ rows: [SummaryRow], inputShape: [Int], totalParameters: Int, totalMACs: Int? = nil) -> String {
        var counters: [String: Int] = [:]
        let cells: [(String, String, String, String)] = rows.map { r in
            counters[r.type, default: 0] += 1
            let label = String(repeating: "  ", count: max(0, r.depth - 1)) + "\(r.type)-\(counters[r.type]!)"
                + (r.name.isEmpty ? "" : " (\(r.name))")
            return (label, "[" + r.outputShape.map(String.init).joined(separator: ", ") + "]", String(r.parameters), String(r.macs))
        }
        // Columns as wide as their longest cell (at least torchsummary's widths), one space apart at least.
        let w0 = max(40, (cells.map(\.0.count).max() ?? 0) + 1), w1 = max(26, (cells.map(\.1.count).max() ?? 0) + 1)
        let w2 = max(10, (cells.map(\.2.count).max() ?? 0) + 1), w3 = max(10, (cells.map(\.3.count).max() ?? 0) + 1)
        let width = w0 + w1 + w2 + w3
        var lines: [String] = []
        let rule = String(repeating: "-", count: width)
        lines.append(rule)
        lines.append("Layer (type)".padding(toLength: w0, withPad: " ", startingAt: 0)
                     + "Output Shape".padding(toLength: w1, withPad: " ", startingAt: 0) + "Param #".leftPad(w2) + "MACs".leftPad(w3))
        lines.append(String(repeating: "=", count: width))
        for c in cells {
            lines.append(c.0.padding(toLength: w0, withPad: " ", startingAt: 0) + c.1.padding(toLength: w1, withPad: " ", startingAt: 0)
                         + c.2.leftPad(w2) + c.3.leftPad(w3))
        }
        lines.append(String(repeating: "=", count: width))
        lines.append("Input shape: \(inputShape)")
        lines.append("Total params: \(totalParameters)")
        lines.append("Total MACs: \(totalMACs ?? rows.reduce(0) { $0 + $1.macs })")
        lines.append(rule)
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
