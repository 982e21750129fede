import Foundation
import Tensor

/// The mixing layer of one block.
public enum MixerKind: String, Codable, Sendable {
    /// Causal softmax attention over the whole context (the baseline and conversion source).
    case softmax
    /// Causal softmax attention over the last `window` tokens.
    case slidingWindow = "sliding_window"
    /// Gated linear attention (a recurrent state of `[heads, headWidth, headWidth]`).
    case gatedLinear = "gated_linear"
}

/// Sizes and layer plan of the report language model (DESIGN.md, "Language model architecture").
public struct LMConfiguration: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var width = 128
    public var heads = 4
    public var feedForwardWidth = 384
    public var mixers: [MixerKind] = Array(repeating: .softmax, count: 4)
    public var window = 256
    /// SpikingBrain's signed spike counts (θ = mean|x|/k per token) on the inputs of every linear projection.
    public var spiking = false
    public var spikeK: Float = 3
    public var maxSpikeCount: Float = 15

    public init(vocabularySize: Int) { self.vocabularySize = vocabularySize }

    public var headWidth: Int { width / heads }

    /// The hybrid the softmax model converts into: gated linear and sliding-window layers alternating, the
    /// first gated-linear layer at `firstGatedLayer` (0 or 1). Layer 1 is the default: converting the first
    /// layer's attention costs far more (held-out perplexity 111 vs 3.7 right after conversion, MODEL_CARD.md).
    public func hybrid(firstGatedLayer: Int = 1) -> LMConfiguration {
        var converted = self
        converted.mixers = mixers.indices.map { $0 % 2 == firstGatedLayer ? .gatedLinear : .slidingWindow }
        converted.spiking = true
        return converted
    }
}

/// The weights of the language model, named `layers.N.*`; the embedding doubles as the output projection.
public final class LanguageModel {
    public let configuration: LMConfiguration
    public let parameters: ParameterSet

    public init(configuration: LMConfiguration, seed: UInt64) {
        precondition(configuration.width % configuration.heads == 0 && configuration.headWidth % 2 == 0, "head width must be even")
        self.configuration = configuration
        parameters = ParameterSet()
        var generator = SeededGenerator(seed: seed)
        let (d, f) = (configuration.width, configuration.feedForwardWidth)
        let scale = 1 / Float(d).squareRoot()
        _ = parameters.normal("embedding", shape: [configuration.vocabularySize, d], standardDeviation: 0.02, using: &generator)
        for (index, mixer) in configuration.mixers.enumerated() {
            let prefix = "layers.\(index)."
            _ = parameters.constant(prefix + "mixer_norm", shape: [d], value: 1)
            for name in ["q", "k", "v"] { _ = parameters.normal(prefix + name, shape: [d, d], standardDeviation: scale, using: &generator) }
            _ = parameters.normal(prefix + "o", shape: [d, d], standardDeviation: scale / Float(2 * configuration.mixers.count).squareRoot(), using: &generator)
            if mixer == .gatedLinear { Self.addGateParameters(to: parameters, prefix: prefix, configuration: configuration, using: &generator) }
            _ = parameters.constant(prefix + "ffn_norm", shape: [d], value: 1)
            _ = parameters.normal(prefix + "gate", shape: [d, f], standardDeviation: scale, using: &generator)
            _ = parameters.normal(prefix + "up", shape: [d, f], standardDeviation: scale, using: &generator)
            _ = parameters.normal(prefix + "down", shape: [f, d], standardDeviation: 1 / Float(f).squareRoot() / Float(2 * configuration.mixers.count).squareRoot(), using: &generator)
        }
        _ = parameters.constant("final_norm", shape: [d], value: 1)
    }

    /// A gated-linear layer's own parameters: a small decay projection whose bias starts the decay near 1
    /// (α = σ(b)^(1/16): b = 4 gives 0.9989 per token), and the per-head output norm.
    static func addGateParameters(to parameters: ParameterSet, prefix: String, configuration: LMConfiguration,
                                  using generator: inout SeededGenerator) {
        let d = configuration.width
        _ = parameters.normal(prefix + "decay", shape: [d, d], standardDeviation: 0.01, using: &generator)
        _ = parameters.constant(prefix + "decay_bias", shape: [d], value: 4)
        _ = parameters.constant(prefix + "head_norm", shape: [configuration.headWidth], value: 1)
    }

    public convenience init(contentsOf url: URL) throws {
        let (tensors, metadata) = try Safetensors.read(from: url)
        guard let json = metadata["configuration"], let configuration = try? JSONDecoder().decode(LMConfiguration.self, from: Data(json.utf8)) else {
            throw LanguageModelError(description: "\(url.lastPathComponent) has no language-model configuration in its metadata")
        }
        self.init(configuration: configuration, seed: 0)
        try parameters.load(tensors)
    }

    /// The metadata of a saved model (step, tokens seen, …).
    public static func metadata(of url: URL) throws -> [String: String] { try Safetensors.read(from: url).metadata }

    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var all = metadata
        all["configuration"] = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        try Safetensors.write(parameters.tensors, metadata: all, to: url)
    }

    func weight(_ name: String) -> Variable { parameters[name]! }

    /// Logits `[T, vocabulary]` for every position of `ids` (training and evaluation).
    public func logits(_ ids: [Int32], graph: Graph) -> Variable {
        let c = configuration
        let (t, h, dh) = (ids.count, c.heads, c.headWidth)
        var x = graph.embedding(weight("embedding"), ids: ids)
        func spiked(_ v: Variable) -> Variable { c.spiking ? graph.adaptiveSpike(v, k: c.spikeK, maxCount: c.maxSpikeCount) : v }
        for (index, mixer) in c.mixers.enumerated() {
            let p = "layers.\(index)."
            let normed = spiked(graph.rmsNorm(x, gamma: weight(p + "mixer_norm")))
            var q = graph.matmul(normed, weight(p + "q")), k = graph.matmul(normed, weight(p + "k"))
            let v = graph.reshape(graph.matmul(normed, weight(p + "v")), [t, h, dh])
            var mixed: Variable
            switch mixer {
            case .softmax, .slidingWindow:
                q = graph.rope(graph.reshape(q, [t, h, dh]))
                k = graph.rope(graph.reshape(k, [t, h, dh]))
                mixed = graph.windowedAttention(q: q, k: k, v: v, window: mixer == .softmax ? t : c.window)
                mixed = graph.reshape(mixed, [t, c.width])
            case .gatedLinear:
                q = graph.reshape(graph.relu(q), [t, h, dh])
                k = graph.reshape(graph.relu(k), [t, h, dh])
                let gate = graph.add(graph.matmul(normed, weight(p + "decay")), weight(p + "decay_bias"))
                let logDecay = graph.reshape(graph.unary(.scale(1.0 / 16), graph.unary(.logSigmoid, gate)), [t, h, dh])
                mixed = graph.gatedLinearAttention(q: q, k: k, v: v, logDecay: logDecay)
                mixed = graph.reshape(graph.rmsNorm(graph.reshape(mixed, [t * h, dh]), gamma: weight(p + "head_norm")), [t, c.width])
            }
            x = graph.add(x, graph.matmul(spiked(mixed), weight(p + "o")))
            let ffnInput = spiked(graph.rmsNorm(x, gamma: weight(p + "ffn_norm")))
            let hidden = graph.multiply(graph.silu(graph.matmul(ffnInput, weight(p + "gate"))), graph.matmul(ffnInput, weight(p + "up")))
            x = graph.add(x, graph.matmul(spiked(hidden), weight(p + "down")))
        }
        return graph.matmul(graph.rmsNorm(x, gamma: weight("final_norm")), weight("embedding"), transposeB: true)
    }

    /// Mean cross-entropy (nats) of predicting `ids[from…]` from the tokens before each.
    public func loss(_ ids: [Int32], scoredFrom from: Int, graph: Graph) -> Variable {
        precondition(from >= 1 && from < ids.count, "score at least one token after the first")
        let all = logits(ids, graph: graph)
        let predicting = graph.slice(all, axis: 0, range: (from - 1)..<(ids.count - 1))
        return graph.crossEntropy(logits: predicting, labels: Array(ids[from...]))
    }

    /// This softmax model converted to `hybrid` (usually `configuration.hybrid()`, possibly with other spike or
    /// window settings): every weight copied, the gated-linear layers' new decay projections and head norms
    /// initialised small (DESIGN.md, "Conversion").
    public func converted(to hybrid: LMConfiguration, seed: UInt64) -> LanguageModel {
        precondition(configuration.mixers.allSatisfy { $0 == .softmax }, "convert a softmax model")
        precondition(hybrid.vocabularySize == configuration.vocabularySize && hybrid.width == configuration.width
                     && hybrid.mixers.count == configuration.mixers.count, "the hybrid must have the softmax model's sizes")
        let model = LanguageModel(configuration: hybrid, seed: seed)
        for name in parameters.names { model.parameters[name]!.value = parameters[name]!.value }
        return model
    }
}

public struct LanguageModelError: Error, CustomStringConvertible {
    public let description: String
}
