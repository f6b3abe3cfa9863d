import ArgumentParser
import Boxes
import Detection
import Distributed
import Foundation
import TensorCore

/// `attnzoo experiment`: the attention ablation of seed 002 (issue 17). See docs/experiment.md.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train the detector with each attention module in the backbone's slot (same data, schedule, seeds) and compare them.",
        discussion: """
            attnzoo experiment --data DIR --out EXP_DIR [--preset seed002|tiny|small] [--modules none,se,...] [--placement SPEC] \
            [--seeds N] [--shard i/n] [--resume] runs every configuration (module × seed) into EXP_DIR/runs/<module>_seed<k>/, \
            then writes EXP_DIR/results.json, results.csv, table.txt and report.html and prints seed 002's table. \
            'attnzoo experiment merge EXP_DIR... --out DIR' joins shards. Under mpirun -np N each rank trains every N-th \
            configuration (mpirun -np 2 -x AZOO_NUM_THREADS=1 on a 2-core machine). See docs/experiment.md.
            """,
        subcommands: [ExperimentRunCommand.self, ExperimentMergeCommand.self],
        defaultSubcommand: ExperimentRunCommand.self)
}

struct ExperimentRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an experiment (the default subcommand).")

    @Option(help: "Dataset folder (COCO format). Default: the generated traffic-sign set (small preset: 800 + 200 images, else 2226 + 500), made on first use in $ATTNZOO_CACHE (else ~/.cache/attnzoo) and reused.")
    var data: String?
    @Option(help: "Experiment folder (created; an existing one needs --resume or --shard of the same experiment).") var out: String
    @Option(help: "Settings preset of every run: seed002 | tiny | small.") var preset = "seed002"
    @Option(help: ArgumentHelp("Comma-separated modules: none (the baseline) and zoo keys with optional seed arguments KEY[:NAME=VALUE]. Default: none plus seed 002's eight.",
                               valueName: "LIST")) var modules = ExperimentPlan.defaultModules.joined(separator: ",")
    @Option(help: ArgumentHelp("Where the modules sit: stages=S,S...:position=after_conv1|after_conv2|after_conv3|after_block.", valueName: "SPEC"))
    var placement = ExperimentPlan.defaultPlacement
    @Option(help: "Seeds per module (0…N−1, the same for every module); 2 or more give std and Δ AP intervals.") var seeds = 1
    @Option(help: ArgumentHelp("Run only configuration k with k mod n = i (0-based i), e.g. an array job's index.", valueName: "i/n")) var shard: String?
    @Flag(help: "Continue the experiment in --out: finished runs are kept, an unfinished one resumes from its checkpoint.") var resume = false
    @Option(help: "Epochs (overrides the preset).") var epochs: Int?
    @Option(help: "Global batch size (the preset's learning rate scales linearly).") var batchSize: Int?
    @OptionGroup var model: DetectorOptions
    @Option(help: "Image decoding threads.") var threads = 2
    @Flag(help: "No progress bar.") var quiet = false
    /// Hidden: side of the square input the MACs are counted at (default: the preset's evaluation size).
    @Option(help: .hidden) var measureSize: Int?
    /// Hidden, for tests: NAME:N sends SIGKILL after global iteration N of configuration NAME.
    @Option(help: .hidden) var testKillAt: String?
    /// Hidden, for tests: NAME:N sends this process SIGINT (as Ctrl-C does) after global iteration N of configuration NAME.
    @Option(help: .hidden) var testSigintAt: String?
    /// Hidden, for tests: the generated default set's size as TRAIN,VAL,WIDTH,HEIGHT.
    @Option(help: .hidden) var testDefaultData: String?

    func run() throws {
        // Under mpirun each rank trains its own configurations (every size-th of this shard's);
        // rank 0 writes the table once all are done. An error on any rank ends them all with its line.
        try withMPI(experiment)
    }

    func experiment(comm: MPICommunicator?) throws {
        let rank = comm?.rank ?? 0, ranks = comm?.size ?? 1
        let (shardIndex, shardCount): (Int, Int)
        if let shard {
            do { (shardIndex, shardCount) = try ExperimentPlan.parseShard(shard) } catch { throw CLIError("\(error)") }
        } else { (shardIndex, shardCount) = (0, 1) }
        guard let p = TrainingPreset(rawValue: preset) else {
            throw CLIError("--preset: unknown preset '\(preset)' (known: \(TrainingPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard model.plugins.isEmpty else {
            throw CLIError("--plugin: the experiment places the modules itself (use --modules and --placement)")
        }
        var (d, t) = p.settings(batchSize: batchSize)
        let measureBackbone = model.backbone ?? d.backbone
        try model.apply(to: &d)
        if let epochs { t.epochs = epochs }
        t.threads = threads
        do { try t.validate() } catch { throw CLIError("\(error)") }
        let list = modules.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var plan = ExperimentPlan(modules: list, placement: placement, seeds: seeds, preset: preset, detectorKind: model.detector,
                                  measureBackbone: measureBackbone, measureSize: measureSize ?? d.minSize.last!, detector: d, training: t,
                                  trainImages: 0, valImages: 0, categories: [])
        do { try plan.validate() } catch { throw CLIError("\(error)") }
        if let measureSize, measureSize < 32 { throw CLIError("--measure-size must be at least 32, got \(measureSize)") }

        // The generated set is made once, by rank 0, before the others look for it.
        let made = rank == 0 && data == nil ? try defaultData(p.defaultDataset) : nil
        comm?.barrier()
        let dataDir = try data ?? made ?? defaultData(p.defaultDataset)
        plan.data = dataDir
        let trainSet = try loadSplit(dataDir, "train"), valSet = try loadSplit(dataDir, "val")
        plan.detector.numClasses = trainSet.categories.count + 1
        plan.trainImages = trainSet.images.count; plan.valImages = valSet.images.count; plan.categories = trainSet.classNames

        let folder = ExperimentFolder(out)
        let runner = ExperimentRunner(plan: plan, folder: folder, trainSet: trainSet, valSet: valSet) { [model] config, seed in
            try model.build(config, seed: seed)
        }
        runner.progress = ProgressBar(enabled: !quiet && rank == 0 && isatty(STDERR_FILENO) == 1)
        if ranks > 1 { runner.report = { print("[rank \(rank)] \($0)") } }
        func at(_ spec: String?) -> (String, Int)? {
            guard let parts = spec?.split(separator: ":").map(String.init), parts.count == 2, let n = Int(parts[1]) else { return nil }
            return (parts[0], n)
        }
        if testKillAt != nil || testSigintAt != nil {
            let k = at(testKillAt), i = at(testSigintAt)
            runner.afterIteration = { c, pos in
                if let k, c.name == k.0 && pos.globalIteration == k.1 { kill(getpid(), SIGKILL) }
                if let i, c.name == i.0 && pos.globalIteration == i.1 { kill(getpid(), SIGINT); usleep(300_000) }  // let the handler run
            }
        }
        // The detector must build before anything is written (a bad backbone or plugin is one line, nothing created).
        _ = try model.build(plan.settings(module: plan.modules[0], seed: 0).0, seed: 0)
        // Rank 0 creates or checks the experiment folder; the others then find the same plan there.
        if rank == 0 { do { try runner.prepare(resume: resume, shard: shard != nil) } catch { throw CLIError("\(error)") } }
        comm?.barrier()
        if rank > 0 { do { try runner.prepare(resume: true, shard: true) } catch { throw CLIError("\(error)") } }
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [stop = runner.stop] in stop.raise() }
        source.resume()
        let shardPart = plan.shard(shardIndex, of: shardCount)
        let mine = shardPart.enumerated().filter { $0.offset % ranks == rank }.map(\.element)
        if rank == 0 {
            print("experiment \(out): \(shardPart.count) of \(plan.configurations.count) configurations\(shard.map { " (shard \($0))" } ?? "")"
                  + (ranks > 1 ? ", spread over \(ranks) MPI ranks" : ""))
        }
        do {
            try runner.run(mine)
        } catch let e as TrainingError where e.kind == .interrupted {
            FileHandle.standardError.write(Data("attnzoo: \(e.description); continue the experiment with --resume\n".utf8))
            Foundation.exit(130)
        } catch let e as TrainingError { throw CLIError(e.description) } catch let e as ExperimentError { throw CLIError(e.description) }
        comm?.barrier()
        guard rank == 0 else { return }
        let table: String
        do { table = try ExperimentOutput.write(plan: plan, results: try folder.readResults(), failures: folder.readFailures(), to: folder, valSet: valSet, sources: [folder]) } catch {
            throw CLIError("\(error)")
        }
        print(table, terminator: "")
        print("results: \(folder.resultsJSON), \(folder.resultsCSV), \(folder.report)")
    }

    /// The generated traffic-sign set in the cache folder (made on first use, reused after).
    func defaultData(_ d: (train: Int, val: Int, width: Int, height: Int)) throws -> String {
        var sizes = [d.train, d.val, d.width, d.height]
        if let testDefaultData {
            let v = testDefaultData.split(separator: ",").compactMap { Int($0) }
            guard v.count == 4 else { throw CLIError("--test-default-data: TRAIN,VAL,WIDTH,HEIGHT expected") }
            sizes = v
        }
        let env = ProcessInfo.processInfo.environment
        let root = env["ATTNZOO_CACHE"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) + "/.cache/attnzoo")
        let dir = root + "/traffic-signs-v\(TrafficSignGenerator.version)-seed0-\(sizes[0])-\(sizes[1])-\(sizes[2])x\(sizes[3])"
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let gen = try TrafficSignGenerator(width: sizes[2], height: sizes[3], seed: 0)
            if try gen.write(to: dir, train: sizes[0], val: sizes[1], threads: threads) == .written {
                print("generated the traffic-sign set in \(dir)")
            }
        } catch { throw CLIError("default data \(dir): \(error)") }
        return dir
    }
}

struct ExperimentMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the results of experiment folders (shards of one experiment) into one table and report in --out.")

    @Argument(help: "Experiment folders (the same experiment: equal experiment.json apart from the data path).") var folders: [String]
    @Option(help: "Folder for the merged results (created; must be absent or empty).") var out: String
    @Option(help: "Dataset folder for the report's image (default: the first experiment's).") var data: String?

    func run() throws {
        guard !folders.isEmpty else { throw CLIError("merge: no experiment folder given") }
        var plans: [ExperimentPlan] = []
        for f in folders {
            guard let p = try? ExperimentFolder(f).readPlan() else {
                throw CLIError("\(f)/experiment.json: no such file or not an experiment plan")
            }
            if let first = plans.first, let diff = p.firstDifference(from: first) {
                throw CLIError("\(f)/experiment.json: experiment of another configuration than \(folders[0]): \(diff.replacingOccurrences(of: " here", with: " in \(folders[0])"))")
            }
            plans.append(p)
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: out), !((try? fm.contentsOfDirectory(atPath: out)) ?? []).isEmpty {
            throw CLIError("\(out): the folder is not empty; merge writes into a new folder (nothing was written)")
        }
        var results: [RunResult] = [], failures: [FailedRun] = []
        for f in folders {
            for x in ExperimentFolder(f).readFailures() where !failures.contains(where: { $0.name == x.name }) { failures.append(x) }
            let rs: [RunResult]
            do { rs = try ExperimentFolder(f).readResults() } catch { throw CLIError("\(error)") }
            for r in rs where !results.contains(where: { $0.module == r.module && $0.seed == r.seed }) { results.append(r) }
        }
        let plan = plans[0]
        let valSet = try? loadSplit(data ?? plan.data, "val")
        let folder = ExperimentFolder(out)
        do {
            try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            try writeAtomically(Array(try encoder.encode(plan)) + [10], to: folder.plan)
            failures.removeAll { f in results.contains { $0.module == f.module && $0.seed == f.seed } }
            let table = try ExperimentOutput.write(plan: plan, results: results, failures: failures, to: folder, valSet: valSet, sources: folders.map(ExperimentFolder.init))
            print(table, terminator: "")
        } catch { throw CLIError("\(error)") }
        print("merged \(results.count) runs from \(folders.count) folders: \(folder.resultsJSON), \(folder.resultsCSV), \(folder.report)")
    }
}
