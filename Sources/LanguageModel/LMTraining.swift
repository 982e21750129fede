import CPUBackend
import Foundation
import Tensor

/// One training sequence: a prompt (the findings) and its continuation (the report); only the
/// continuation is scored.
public struct TrainingSequence: Sendable {
    public var ids: [Int32]
    public var scoredFrom: Int

    public init(ids: [Int32], scoredFrom: Int) {
        self.ids = ids
        self.scoredFrom = scoredFrom
    }
}

public struct LMTrainingOptions: Sendable {
    public var steps = 1000
    /// Sequences per optimisation step.
    public var batchSize = 8
    public var peakLearningRate: Float = 3e-3
    public var warmupSteps = 50
    public var checkpointEvery = 50
    /// Index of the first training example (examples are numbered, so a run is reproducible and resumable).
    public var firstExample = 0

    public init() {}
}

/// Trains a `LanguageModel` on numbered examples with AdamW (warm-up, cosine decay, gradient clipping at 1),
/// checkpointing `model.safetensors` (step and tokens seen in its metadata) and `training-log.tsv` in `folder`.
public final class LMTrainer {
    public let model: LanguageModel
    public let options: LMTrainingOptions
    public let folder: URL
    public private(set) var step = 0
    /// Tokens of every sequence trained on (prompt and report), the unit of SpikingBrain's data ratio.
    public private(set) var tokensSeen = 0
    private let backend: CPUBackend
    private let optimizer: AdamW
    private let example: (Int) -> TrainingSequence

    public init(model: LanguageModel, options: LMTrainingOptions, folder: URL, threads: Int,
                example: @escaping (Int) -> TrainingSequence) throws {
        self.options = options
        self.folder = folder
        self.example = example
        backend = CPUBackend(threadCount: threads)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let checkpoint = folder.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            let (tensors, metadata) = try Safetensors.read(from: checkpoint)
            try model.parameters.load(tensors)
            step = Int(metadata["step"] ?? "") ?? 0
            tokensSeen = Int(metadata["tokens"] ?? "") ?? 0
        }
        self.model = model
        optimizer = AdamW(parameters: model.parameters.variables, learningRate: options.peakLearningRate, weightDecay: 0.01)
    }

    /// One optimisation step; returns the mean loss (nats per scored token).
    public func trainStep() -> Float {
        let graph = Graph(backend: backend)
        var total: Variable?
        for offset in 0..<options.batchSize {
            let sequence = example(options.firstExample + step * options.batchSize + offset)
            tokensSeen += sequence.ids.count
            let loss = model.loss(sequence.ids, scoredFrom: sequence.scoredFrom, graph: graph)
            total = total.map { graph.add($0, loss) } ?? loss
        }
        let mean = graph.unary(.scale(1 / Float(options.batchSize)), total!)
        for parameter in model.parameters.variables { parameter.grad = nil }
        graph.backward(mean)
        _ = clipGradientNorm(model.parameters.variables, maxNorm: 1)
        optimizer.learningRate = LearningRateSchedule.warmupCosine(peak: options.peakLearningRate, warmupSteps: options.warmupSteps,
                                                                   totalSteps: options.steps, floor: options.peakLearningRate / 20).rate(at: step)
        optimizer.step()
        step += 1
        return mean.value.scalar
    }

    public func checkpoint(log line: String) throws {
        try model.write(to: folder.appendingPathComponent("model.safetensors"),
                        metadata: ["step": String(step), "tokens": String(tokensSeen)])
        let logURL = folder.appendingPathComponent("training-log.tsv")
        if !FileManager.default.fileExists(atPath: logURL.path) {
            try Data("step\ttokens\tloss\tlearning_rate\theld_out_perplexity\n".utf8).write(to: logURL)
        }
        let handle = try FileHandle(forWritingTo: logURL)
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
    }

    public var learningRate: Float { optimizer.learningRate }
}

/// Perplexity `exp(mean cross-entropy per scored token)` of `model` on `sequences`.
public func perplexity(of model: LanguageModel, on sequences: [TrainingSequence], threads: Int) -> Double {
    let backend = CPUBackend(threadCount: threads)
    var nats = 0.0, tokens = 0
    for sequence in sequences {
        let graph = Graph(backend: backend, isRecording: false)
        let scored = sequence.ids.count - sequence.scoredFrom
        nats += Double(model.loss(sequence.ids, scoredFrom: sequence.scoredFrom, graph: graph).value.scalar) * Double(scored)
        tokens += scored
    }
    return Foundation.exp(nats / Double(max(tokens, 1)))
}
