import CPUBackend
import Foundation
import Tensor

/// One run of training: how many steps, how fast, how often to save and check.
public struct TrainingOptions: Sendable {
    public var steps = 2000
    public var batchSize = 1
    public var peakLearningRate: Float = 2e-3
    public var warmupSteps = 50
    public var maxGradientNorm: Float = 2
    public var checkpointEvery = 50
    public var validateEvery = 100
    /// Seeds the synthetic training images (the weights' initial seed is fixed by the configuration).
    public var runSeed: UInt64 = 1
    /// Fixed synthetic images for validation Dice, drawn from their own seed stream (the same for every run).
    public var validationSamples = 4

    public init() {}

    var schedule: LearningRateSchedule {
        .warmupCosine(peak: peakLearningRate, warmupSteps: warmupSteps, totalSteps: steps, floor: peakLearningRate / 20)
    }
}

/// Loss terms of one step.
public struct StepLoss: Sendable {
    public var crossEntropy: Float
    public var dice: Float
    public var total: Float { crossEntropy + dice }
}

/// Trains a `SpikingUNet3D` on synthetic images (cross-entropy + soft Dice, AdamW, warm-up then cosine decay),
/// saving a resumable checkpoint into a folder: `model.safetensors` (weights; metadata: step, run seed,
/// configuration) and `training-log.tsv`.
public final class SegmentationTrainer {
    public let model: SpikingUNet3D
    public let generator: SyntheticImageGenerator
    public let options: TrainingOptions
    public let folder: URL
    public private(set) var step = 0
    private let backend: CPUBackend
    private let optimizer: AdamW

    public static let weightsFile = "model.safetensors"
    /// Seed stream of the validation images.
    static let validationRun: UInt64 = 0x9E37_79BA
    public static let logFile = "training-log.tsv"

    /// Starts from the checkpoint in `folder` when there is one with the same configuration, else from scratch.
    public init(configuration: UNetConfiguration, generator: SyntheticImageGenerator, options: TrainingOptions,
                folder: URL, threads: Int) throws {
        self.generator = generator
        self.options = options
        self.folder = folder
        backend = CPUBackend(threadCount: threads)
        let checkpoint = folder.appendingPathComponent(Self.weightsFile)
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            let (model, metadata) = try Self.load(checkpoint)
            guard model.configuration == configuration else {
                throw TrainingError("\(checkpoint.path) holds a model with another configuration; use another --out folder")
            }
            self.model = model
            step = Int(metadata["step"] ?? "0") ?? 0
        } else {
            model = SpikingUNet3D(configuration: configuration, seed: 1)
        }
        optimizer = AdamW(parameters: model.parameters.variables, learningRate: options.peakLearningRate, weightDecay: 1e-4)
    }

    /// Reads a model saved by `save`.
    public static func load(_ url: URL) throws -> (SpikingUNet3D, [String: String]) {
        let (tensors, metadata) = try Safetensors.read(from: url)
        guard let json = metadata["configuration"], let configuration = try? JSONDecoder().decode(UNetConfiguration.self, from: Data(json.utf8)) else {
            throw TrainingError("\(url.path) has no model configuration in its metadata")
        }
        let model = SpikingUNet3D(configuration: configuration, seed: 1)
        try model.parameters.load(tensors)
        return (model, metadata)
    }

    /// Writes `model` atomically with its configuration and `extra` metadata.
    public static func save(_ model: SpikingUNet3D, to url: URL, metadata extra: [String: String]) throws {
        let json = String(decoding: try JSONEncoder().encode(model.configuration), as: UTF8.self)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".partial-" + url.lastPathComponent)
        try Safetensors.write(model.parameters.tensors, metadata: extra.merging(["configuration": json]) { $1 }, to: temporary)
        if rename(temporary.path, url.path) != 0 { throw TrainingError("cannot write \(url.path)") }
    }

    /// One optimisation step on a fresh synthetic batch.
    @discardableResult
    public func trainStep() -> StepLoss {
        let batch = generator.batch(run: options.runSeed, step: step, batchSize: options.batchSize)
        let size = batch.size
        let graph = Graph(backend: backend)
        let input = Variable(Tensor(shape: [batch.count, size, size, size, 1], scalars: batch.images))
        let logits = model.logits(input, graph: graph)
        let flat = graph.reshape(logits, [batch.count * size * size * size, model.configuration.classes])
        let labels = batch.targets.map { Int32($0) }
        let crossEntropy = graph.crossEntropy(logits: flat, labels: labels)
        let dice = graph.softDiceLoss(probabilities: graph.softmax(flat), labels: labels)
        graph.backward(graph.add(crossEntropy, dice))
        clipGradientNorm(model.parameters.variables, maxNorm: options.maxGradientNorm)
        optimizer.learningRate = options.schedule.rate(at: step)
        optimizer.step()
        step += 1
        return StepLoss(crossEntropy: crossEntropy.value.scalar, dice: dice.value.scalar)
    }

    /// Mean hard Dice over the foreground classes present, on fixed synthetic validation images.
    public func validationDice() -> Double {
        let batch = generator.batch(run: Self.validationRun, step: 0, batchSize: options.validationSamples)
        let size = batch.size
        let voxels = size * size * size
        var scores: [Double] = []
        for sample in 0..<batch.count {
            let image = Array(batch.images[(sample * voxels)..<((sample + 1) * voxels)])
            let target = Array(batch.targets[(sample * voxels)..<((sample + 1) * voxels)])
            let predicted = predictClasses(image: image, size: size)
            scores.append(meanForegroundDice(predicted: predicted, target: target, classes: model.configuration.classes))
        }
        return scores.reduce(0, +) / Double(max(scores.count, 1))
    }

    private func predictClasses(image: [Float], size: Int) -> [UInt8] {
        let graph = Graph(backend: backend, isRecording: false)
        let logits = model.logits(Variable(Tensor(shape: [1, size, size, size, 1], scalars: image)), graph: graph).value
        let classes = model.configuration.classes
        return (0..<(size * size * size)).map { voxel in
            var best = 0
            for c in 1..<classes where logits.scalars[voxel * classes + c] > logits.scalars[voxel * classes + best] { best = c }
            return UInt8(best)
        }
    }

    /// Saves the weights and appends a line to the log.
    public func checkpoint(loss: StepLoss, seconds: Double, validationDice: Double?) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.save(model, to: folder.appendingPathComponent(Self.weightsFile),
                      metadata: ["step": String(step), "run_seed": String(options.runSeed)])
        let log = folder.appendingPathComponent(Self.logFile)
        if !FileManager.default.fileExists(atPath: log.path) {
            try Data("step\tseconds_per_step\tcross_entropy\tdice_loss\tlearning_rate\tvalidation_dice\n".utf8).write(to: log)
        }
        let line = String(format: "%d\t%.3f\t%.4f\t%.4f\t%.6f\t%@\n", step, seconds, loss.crossEntropy, loss.dice,
                          options.schedule.rate(at: step), validationDice.map { String(format: "%.4f", $0) } ?? "")
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
    }
}

/// Mean Dice over the foreground classes that occur in the target or the prediction.
func meanForegroundDice(predicted: [UInt8], target: [UInt8], classes: Int) -> Double {
    var both = [Int](repeating: 0, count: classes), inPredicted = both, inTarget = both
    for index in predicted.indices {
        let p = Int(predicted[index]), t = Int(target[index])
        inPredicted[p] += 1
        inTarget[t] += 1
        if p == t { both[p] += 1 }
    }
    var total = 0.0
    var present = 0
    for c in 1..<classes where inPredicted[c] + inTarget[c] > 0 {
        total += 2 * Double(both[c]) / Double(inPredicted[c] + inTarget[c])
        present += 1
    }
    return present == 0 ? 0 : total / Double(present)
}

/// A training run that cannot start or continue.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
