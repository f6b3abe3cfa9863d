import Foundation

/// A problem of a training or evaluation run, one line naming the file, key or argument.
public struct TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case invalid
        /// A loss part became NaN or infinite; the last good checkpoint was kept.
        case nonFiniteLoss
        /// The stop flag (Ctrl-C) was raised; a checkpoint of the position was written.
        case interrupted
    }
    public let description: String
    public let kind: Kind
    public init(_ description: String, kind: Kind = .invalid) { self.description = description; self.kind = kind }
}

/// Writes `bytes` to `path` so that a crash at any moment leaves either the old file or the new
/// one, never a mix: a temporary file in the same folder is written, `fsync`ed, renamed over
/// `path`, and the folder is `fsync`ed. `beforeRename` runs after the temporary file is durable
/// (tests kill the process there).
public func writeAtomically(_ bytes: [UInt8], to path: String, beforeRename: ((String) -> Void)? = nil) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let tmp = (dir.isEmpty ? "." : dir) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw TrainingError("\(tmp): cannot create (\(String(cString: strerror(errno))))") }
    var ok = true
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 { if errno == EINTR { continue }; ok = false; break }
            offset += n
        }
    }
    if ok { ok = fsync(fd) == 0 }
    let err = errno
    close(fd)
    guard ok else {
        unlink(tmp)
        throw TrainingError("\(path): cannot write (\(String(cString: strerror(err))))")
    }
    beforeRename?(tmp)
    guard rename(tmp, path) == 0 else {
        let e = errno; unlink(tmp)
        throw TrainingError("\(path): cannot rename the written file into place (\(String(cString: strerror(e))))")
    }
    let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY)
    if dfd >= 0 { _ = fsync(dfd); close(dfd) }
}

/// Writes a string atomically (see ``writeAtomically(_:to:beforeRename:)``).
public func writeAtomically(_ text: String, to path: String) throws {
    try writeAtomically(Array(text.utf8), to: path)
}

/// The files of a run folder:
/// ```
/// RUN_DIR/config.json                  every setting (+ torchvision's constructor arguments)
/// RUN_DIR/log.jsonl                    one JSON object per iteration, epoch, evaluation, resume, stop
/// RUN_DIR/model.safetensors            latest weights (the detector's state dict: torchvision keys)
/// RUN_DIR/checkpoint/checkpoint.safetensors   full training state (weights, momentum, position, RNG)
/// RUN_DIR/eval.json                    per-epoch COCO stats, both presets
/// ```
public struct RunFolder: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }

    public var config: String { path + "/config.json" }
    public var log: String { path + "/log.jsonl" }
    public var model: String { path + "/model.safetensors" }
    public var checkpointFolder: String { path + "/checkpoint" }
    public var checkpoint: String { checkpointFolder + "/checkpoint.safetensors" }
    public var eval: String { path + "/eval.json" }

    /// Creates the folder and `checkpoint/` (no error when they exist).
    public func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: checkpointFolder, withIntermediateDirectories: true)
        } catch {
            throw TrainingError("\(path): cannot create the run folder (\(error.localizedDescription))")
        }
    }

    /// Whether the folder already holds a run (a config or a checkpoint).
    public var holdsRun: Bool {
        FileManager.default.fileExists(atPath: config) || FileManager.default.fileExists(atPath: checkpoint)
    }

    /// Appends one line to `log.jsonl` (written and flushed at once).
    public func appendLog(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        var line = [UInt8](data); line.append(10)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }
}

/// JSON text of `object` (sorted keys, pretty) for config.json and eval.json.
func jsonText(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self) + "\n"
}

/// A Codable value as a JSON object (for config.json and the comparison of configurations).
func jsonObject<T: Encodable>(_ value: T) -> [String: Any] {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = try? encoder.encode(value),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
    return object
}
