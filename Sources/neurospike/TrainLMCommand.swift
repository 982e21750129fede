import Foundation
import LanguageModel
import Pipeline
import Reporting
import Tensor

/// `neurospike train-lm` and `neurospike convert-model --lm`: the report language model, trained on the
/// generated corpus, then converted from softmax attention to the spiking hybrid.
enum TrainLMCommand {
    static let command = Command(
        name: "train-lm",
        summary: "train the report language model (softmax attention) on the generated findings/report corpus (resumable)",
        help: """
        usage: neurospike train-lm --out DIR [options]

        Trains the softmax-attention form of the report language model on numbered examples of the
        generated corpus (findings drawn from the normative models, reports from the report grammar).
        DIR receives tokenizer.json (learned first, unless --tokenizer is given), model.safetensors (step
        and tokens seen in its metadata) and training-log.tsv; a run started again with the same DIR
        resumes, with the configuration saved in the checkpoint (so a converted hybrid copied into DIR
        trains further). Convert the result with 'neurospike convert-model --lm'.

          --out DIR             checkpoint folder
          --norms FILE          normative models (default: the brain-t1 bundle's)
          --tokenizer FILE      an existing tokenizer.json
          --merges N            BPE merges when learning the tokenizer (default 600)
          --steps N             total optimisation steps (default 1200)
          --batch N             sequences per step (default 8)
          --learning-rate X     peak learning rate (default 0.003)
          --width N             model width (default 128)
          --layers N            blocks (default 4)
          --seed N              corpus and initialisation seed (default 1)
          --threads N           CPU threads (default: all cores)
        """,
        run: run)

    static func loadSampler(_ arguments: inout Arguments) throws -> FindingsSampler {
        let normsPath = try arguments.option("--norms")
        let url = try normsPath.map { URL(fileURLWithPath: $0) }
            ?? PipelineBundle.locate("brain-t1", executable: URL(fileURLWithPath: ChildProcess.selfPath)).appendingPathComponent("norms/nomis-fs6.json")
        return FindingsSampler(norms: try NormativeModels(contentsOf: url))
    }

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        let sampler = try loadSampler(&arguments)
        let tokenizerPath = try arguments.option("--tokenizer")
        let merges = try arguments.intOption("--merges", default: 600)
        var options = LMTrainingOptions()
        options.steps = try arguments.intOption("--steps", default: 1200)
        options.batchSize = try arguments.intOption("--batch", default: 8)
        if let rate = try arguments.option("--learning-rate") {
            guard let value = Float(rate), value > 0 else { throw UsageError("--learning-rate expects a positive number") }
            options.peakLearningRate = value
        }
        let width = try arguments.intOption("--width", default: 128)
        let layers = try arguments.intOption("--layers", default: 4)
        let seed = UInt64(try arguments.intOption("--seed", default: 1, minimum: 0))
        let threads = try arguments.intOption("--threads", default: ProcessInfo.processInfo.activeProcessorCount)
        _ = try arguments.positionals()

        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let corpus = ReportCorpus(sampler: sampler, seed: seed)
        let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
        let tokenizer: Tokenizer
        if let tokenizerPath {
            tokenizer = try Tokenizer.load(from: URL(fileURLWithPath: tokenizerPath))
            try tokenizer.write(to: tokenizerURL)
        } else if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            tokenizer = try Tokenizer.load(from: tokenizerURL)
        } else {
            tokenizer = corpus.trainTokenizer(documents: 2000, merges: merges)
            try tokenizer.write(to: tokenizerURL)
            print("learned \(tokenizer.merges.count) merges; vocabulary \(tokenizer.vocabularySize)")
        }
        // A checkpoint in DIR keeps its own configuration (e.g. a converted hybrid trained further).
        let checkpoint = folder.appendingPathComponent("model.safetensors")
        let model: LanguageModel
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            model = try LanguageModel(contentsOf: checkpoint)
        } else {
            var configuration = LMConfiguration(vocabularySize: tokenizer.vocabularySize)
            configuration.width = width
            configuration.mixers = Array(repeating: .softmax, count: layers)
            model = LanguageModel(configuration: configuration, seed: seed)
        }
        let trainer = try LMTrainer(model: model, options: options, folder: folder, threads: threads) {
            corpus.example($0, tokenizer: tokenizer)
        }
        let heldOut = (0..<32).map { corpus.example(ReportCorpus.heldOutStart + $0, tokenizer: tokenizer) }
        try train(trainer, options: options, heldOut: heldOut, threads: threads)
        return .success
    }

    /// Runs `trainer` to `options.steps`, logging and checkpointing every `checkpointEvery` steps.
    static func train(_ trainer: LMTrainer, options: LMTrainingOptions, heldOut: [TrainingSequence], threads: Int) throws {
        let parameters = trainer.model.parameters.variables.reduce(0) { $0 + $1.value.count }
        print("training \(trainer.model.configuration.spiking ? "spiking hybrid" : "softmax") model (\(parameters) parameters) "
              + "from step \(trainer.step) to \(options.steps), \(options.batchSize) sequences per step")
        var losses: [Float] = []
        var start = Date()
        while trainer.step < options.steps {
            losses.append(trainer.trainStep())
            if trainer.step % options.checkpointEvery == 0 || trainer.step == options.steps {
                let held = perplexity(of: trainer.model, on: heldOut, threads: threads)
                let mean = losses.reduce(0, +) / Float(losses.count)
                let seconds = Date().timeIntervalSince(start) / Double(losses.count)
                try trainer.checkpoint(log: "\(trainer.step)\t\(trainer.tokensSeen)\t\(String(format: "%.4f", mean))\t\(String(format: "%.6f", trainer.learningRate))\t\(String(format: "%.4f", held))")
                print(String(format: "step %d  %.2f s/step  loss %.4f  held-out perplexity %.3f  tokens %d", trainer.step, seconds, mean, held, trainer.tokensSeen))
                fflush(nil)
                losses.removeAll()
                start = Date()
            }
        }
    }

    static let convertHelp = """
        usage: neurospike convert-model --lm --from DIR --out DIR [options]

        Converts the softmax-attention report model in DIR/model.safetensors into the spiking hybrid
        (odd layers gated linear attention, even layers sliding-window attention, adaptive-threshold spike
        counts on every projection input): weights copied, the new decay projections small, then trained
        on fresh corpus examples for at most --token-fraction of the softmax model's training tokens.
        Prints the held-out perplexity of both forms and the token ratio used.

          --from DIR            folder of the trained softmax model (with tokenizer.json)
          --out DIR             folder for the spiking hybrid
          --token-fraction X    share of the softmax model's tokens to train on (default 0.02)
          --window N            sliding-window length in tokens (default 256)
          --learning-rate X     peak learning rate of the conversion training (default 0.003)
          --spike-k K           adaptive threshold θ = mean|x| / K per token (default 3)
          --max-spike-count N   largest spike count magnitude (default 15)
          --dense               keep dense activations (an ablation: the hybrid without spike coding)
          --first-gated-layer I gated linear attention in layers I, I+2, … (0 or 1; default 1)
          --gate-bias B         initial decay-gate bias: α = σ(B)^(1/16) per token (default 4)
          --norms FILE          normative models (default: the brain-t1 bundle's)
          --seed N              corpus seed of the softmax run (default 1)
          --threads N           CPU threads (default: all cores)
        """

    static func convert(_ arguments: inout Arguments) throws -> ExitCode {
        guard let from = try arguments.option("--from"), let out = try arguments.option("--out") else {
            throw UsageError("--from DIR and --out DIR are required")
        }
        let sampler = try loadSampler(&arguments)
        let fraction = Double(try arguments.option("--token-fraction") ?? "0.02") ?? -1
        guard fraction > 0 && fraction <= 0.02 else { throw UsageError("--token-fraction must lie in (0, 0.02]") }
        let window = try arguments.intOption("--window", default: 256, minimum: 2)
        let rate = Float(try arguments.option("--learning-rate") ?? "0.003") ?? -1
        guard rate > 0 else { throw UsageError("--learning-rate expects a positive number") }
        let spikeK = Float(try arguments.option("--spike-k") ?? "3") ?? -1
        guard spikeK > 0 else { throw UsageError("--spike-k expects a positive number") }
        let maxCount = try arguments.intOption("--max-spike-count", default: 15)
        let dense = arguments.flag("--dense")
        let firstGated = try arguments.intOption("--first-gated-layer", default: 1, minimum: 0)
        guard firstGated <= 1 else { throw UsageError("--first-gated-layer must be 0 or 1") }
        let gateBias = Float(try arguments.option("--gate-bias") ?? "4") ?? .nan
        guard gateBias.isFinite else { throw UsageError("--gate-bias expects a number") }
        let seed = UInt64(try arguments.intOption("--seed", default: 1, minimum: 0))
        let threads = try arguments.intOption("--threads", default: ProcessInfo.processInfo.activeProcessorCount)
        _ = try arguments.positionals()

        let source = URL(fileURLWithPath: from, isDirectory: true)
        let tokenizer = try Tokenizer.load(from: source.appendingPathComponent("tokenizer.json"))
        let weights = source.appendingPathComponent("model.safetensors")
        let softmax = try LanguageModel(contentsOf: weights)
        let sourceTokens = Int(try LanguageModel.metadata(of: weights)["tokens"] ?? "") ?? 0
        guard sourceTokens > 0 else { throw UsageError("\(weights.path) records no training tokens") }
        var configuration = softmax.configuration.hybrid(firstGatedLayer: firstGated)
        configuration.window = window
        configuration.spikeK = spikeK
        configuration.maxSpikeCount = Float(maxCount)
        configuration.spiking = !dense
        let converted = softmax.converted(to: configuration, seed: seed)
        for name in converted.parameters.names where name.hasSuffix(".decay_bias") {
            converted.parameters[name]!.value = Tensor(repeating: gateBias, shape: converted.parameters[name]!.shape)
        }

        let corpus = ReportCorpus(sampler: sampler, seed: seed)
        let heldOut = (0..<32).map { corpus.example(ReportCorpus.heldOutStart + $0, tokenizer: tokenizer) }
        let before = perplexity(of: softmax, on: heldOut, threads: threads)
        let converted0 = perplexity(of: converted, on: heldOut, threads: threads)
        // Fresh examples after the softmax run's, until the token budget is spent.
        let budget = Int(Double(sourceTokens) * fraction)
        let sampleTokens = heldOut.reduce(0) { $0 + $1.ids.count } / heldOut.count
        var options = LMTrainingOptions()
        options.batchSize = 8
        options.steps = max(1, budget / (sampleTokens * options.batchSize) - 1)
        options.peakLearningRate = rate
        options.warmupSteps = min(20, options.steps / 4)
        options.checkpointEvery = max(1, options.steps / 4)
        options.firstExample = 50_000_000
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("training-log.tsv"))
        let trainer = try LMTrainer(model: converted, options: options, folder: folder, threads: threads) {
            corpus.example($0, tokenizer: tokenizer)
        }
        try tokenizer.write(to: folder.appendingPathComponent("tokenizer.json"))
        try train(trainer, options: options, heldOut: heldOut, threads: threads)
        let after = perplexity(of: converted, on: heldOut, threads: threads)
        try converted.write(to: folder.appendingPathComponent("model.safetensors"),
                            metadata: ["step": String(trainer.step), "tokens": String(trainer.tokensSeen),
                                       "source_tokens": String(sourceTokens),
                                       "perplexity_softmax": String(format: "%.4f", before),
                                       "perplexity_converted_untrained": String(format: "%.4f", converted0),
                                       "perplexity_spiking": String(format: "%.4f", after)])
        print(String(format: "held-out perplexity: softmax %.3f, converted before training %.3f, spiking hybrid %.3f", before, converted0, after))
        print(String(format: "conversion used %d tokens = %.2f %% of the softmax model's %d", trainer.tokensSeen,
                     100 * Double(trainer.tokensSeen) / Double(sourceTokens), sourceTokens))
        return .success
    }
}
