import Foundation

/// A one-line progress bar on a terminal's stderr: epoch, iteration / total, loss and its parts,
/// images per second, ETA. Draws nothing when stderr is not a terminal (the run's log.jsonl always
/// has the numbers).
public final class ProgressBar {
    public let enabled: Bool
    private var lastDraw = Date.distantPast
    private var width = 0

    public init(enabled: Bool = isatty(STDERR_FILENO) == 1) { self.enabled = enabled }

    /// The line for the given numbers (tested; `draw` prints it).
    public static func line(epoch: Int, epochs: Int, iteration: Int, perEpoch: Int, loss: Float,
                            parts: [(String, Float)], imagesPerSecond: Double, etaSeconds: Double) -> String {
        let filled = perEpoch > 0 ? 20 * iteration / perEpoch : 0
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: 20 - filled)
        let short = parts.map { name, v in
            let n = name.hasPrefix("loss_") ? String(name.dropFirst(5)) : name
            return "\(n) \(String(format: "%.3f", v))"
        }.joined(separator: " ")
        return "epoch \(epoch)/\(epochs) [\(bar)] \(iteration)/\(perEpoch) loss \(String(format: "%.4f", loss)) (\(short)) "
            + "\(String(format: "%.2f", imagesPerSecond)) img/s ETA \(formatDuration(etaSeconds))"
    }

    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite && s >= 0 else { return "--:--" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// Redraws the line (at most 10 times a second unless `force`).
    public func draw(_ text: String, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let pad = max(0, width - text.count)
        width = text.count
        FileHandle.standardError.write(Data(("\r" + text + String(repeating: " ", count: pad)).utf8))
    }

    /// Ends the line (before other output).
    public func finishLine() {
        guard enabled, width > 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        width = 0
    }
}
