import Foundation
import NN
import TensorIO

/// Where the loop stands: the next batch to train on and the iterations done.
public struct TrainingPosition: Codable, Sendable, Equatable {
    /// Next epoch and iteration inside it (0-based).
    public var epoch = 0, iteration = 0
    /// Iterations trained in all.
    public var globalIteration = 0
    public init(epoch: Int = 0, iteration: Int = 0, globalIteration: Int = 0) {
        self.epoch = epoch; self.iteration = iteration; self.globalIteration = globalIteration
    }
}

/// The COCO stats of the validation set after one epoch, both presets (pycocotools' twelve numbers each).
public struct EpochEvaluation: Codable, Sendable, Equatable {
    /// Epochs completed (1-based).
    public var epoch: Int
    public var iteration: Int
    public var coco: [Double]
    public var mmdet: [Double]
    public var detections: Int
}

/// What identifies the data of a run (a resume on other data is refused).
public struct DatasetFingerprint: Codable, Sendable, Equatable {
    public var trainImages: Int
    public var categories: [String]
}

/// The full training state beside the tensors of a checkpoint (JSON in the safetensors header's
/// `__metadata__["attnzoo.training"]`).
public struct CheckpointState: Codable, Sendable {
    public static let formatVersion = 1
    public var version = CheckpointState.formatVersion
    public var detector: DetectorConfig
    public var training: TrainingConfig
    public var dataset: DatasetFingerprint
    public var position: TrainingPosition
    /// The training generator's xoshiro state (the model's random draws: samplers).
    public var rngState: [UInt64]
    /// The dataset order of `position.epoch` (the loader recomputes it from the seed; kept to check).
    public var order: [Int]
    public var evaluations: [EpochEvaluation]
}

/// One-file checkpoints: `model.<key>` (the detector's state dict), `momentum.<parameter name>`
/// (SGD buffers) and the ``CheckpointState`` JSON in the metadata, written atomically.
public enum Checkpoint {
    static let metadataKey = "attnzoo.training"

    /// Serialises the state (weights, momentum buffers of `parameters` found in `optimizers`, JSON state).
    public static func bytes(model: Module, optimizers: [SGD], parameters: [(String, Parameter)], state: CheckpointState) throws -> [UInt8] {
        var entries = model.stateDictArrays().map { (name: "model." + $0.name, array: $0.array) }
        for (name, p) in parameters {
            for opt in optimizers {
                if let buf = opt.momentumBuffer(for: p) {
                    entries.append((name: "momentum." + name, array: HostArray(float32: buf, shape: p.shape)))
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(state), as: UTF8.self)
        return SafetensorsFile(entries: entries, metadata: [metadataKey: json]).serialized()
    }

    /// Reads a checkpoint's state and tensors; errors name the file.
    public static func read(_ path: String) throws -> (state: CheckpointState, file: SafetensorsFile) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError("\(path): no such file (no checkpoint to resume from)")
        }
        let file: SafetensorsFile
        do { file = try SafetensorsFile.read(from: URL(fileURLWithPath: path)) } catch {
            throw TrainingError("\(path): not a readable checkpoint (\(error))")
        }
        guard let json = file.metadata[metadataKey] else {
            throw TrainingError("\(path): not a training checkpoint (no '\(metadataKey)' metadata)")
        }
        do {
            let state = try JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8))
            guard state.version == CheckpointState.formatVersion else {
                throw TrainingError("\(path): checkpoint format \(state.version), this build reads \(CheckpointState.formatVersion)")
            }
            return (state, file)
        } catch let e as TrainingError { throw e } catch {
            throw TrainingError("\(path): damaged training state in the metadata (\(error))")
        }
    }

    /// Loads weights and momentum buffers into `model` and `optimizers` (strict: every key).
    public static func restore(_ file: SafetensorsFile, source: String, model: Module, optimizers: [SGD],
                               parameters: [(String, Parameter)]) throws {
        let weights = file.entries.filter { $0.name.hasPrefix("model.") }.map { (key: String($0.name.dropFirst(6)), array: $0.array) }
        do { try model.loadStateDict(weights, strict: true, source: source) } catch let e as StateDictError {
            throw TrainingError(e.description)
        }
        var byName: [String: HostArray] = [:]
        for e in file.entries where e.name.hasPrefix("momentum.") { byName[String(e.name.dropFirst(9))] = e.array }
        let known = Set(parameters.map(\.0))
        if let stray = byName.keys.sorted().first(where: { !known.contains($0) }) {
            throw TrainingError("\(source): momentum buffer 'momentum.\(stray)' belongs to no trainable parameter")
        }
        for (name, p) in parameters {
            let buf = byName[name]
            if let buf, buf.shape != p.shape {
                throw TrainingError("\(source): momentum.\(name) has shape \(buf.shape), the parameter \(p.shape)")
            }
            for opt in optimizers where opt.parameters.contains(where: { $0 === p }) {
                opt.setMomentumBuffer(buf?.asFloat32(), for: p)
            }
        }
    }
}
