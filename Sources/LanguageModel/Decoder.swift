import CPUBackend
import Foundation
import Spiking
import Tensor

/// Runs a trained `LanguageModel` token by token with per-layer memory: keys and values of the whole
/// context for softmax layers, of the last `window − 1` tokens for sliding-window layers, and a fixed
/// `[heads, headWidth, headWidth]` state for gated-linear layers. Prompts are fed in chunks, so a hybrid
/// model's memory does not grow with the context.
public final class Decoder {
    public let model: LanguageModel
    public let backend: CPUBackend
    /// Tokens fed so far.
    public private(set) var position = 0
    /// Spike counts of every spiking projection input fed so far.
    public private(set) var statistics: SpikeStatistics
    private var keys: [[Float]]
    private var values: [[Float]]
    private var states: [Tensor?]

    public init(model: LanguageModel, backend: CPUBackend) {
        self.model = model
        self.backend = backend
        let layers = model.configuration.mixers.count
        keys = Array(repeating: [], count: layers)
        values = Array(repeating: [], count: layers)
        states = Array(repeating: nil, count: layers)
        statistics = SpikeStatistics(maxCount: Int(model.configuration.maxSpikeCount))
    }

    /// Forgets the context and the spike counts.
    public func reset() {
        position = 0
        statistics = SpikeStatistics(maxCount: Int(model.configuration.maxSpikeCount))
        for index in keys.indices {
            keys[index] = []
            values[index] = []
            states[index] = nil
        }
    }

    /// Bytes held for the context (key/value caches and recurrent states).
    public var contextBytes: Int {
        (keys.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.count } + states.reduce(0) { $0 + ($1?.count ?? 0) }) * 4
    }

    private func weight(_ name: String) -> Tensor { model.parameters[name]!.value }

    /// θ · counts of SpikingBrain's adaptive threshold, recording the counts; `x` unchanged for a softmax model.
    private func spiked(_ x: Tensor) -> Tensor {
        let c = model.configuration
        guard c.spiking else { return x }
        let (counts, thresholds) = backend.adaptiveSpikeCounts(x, k: c.spikeK, maxCount: c.maxSpikeCount)
        statistics.record(counts)
        let width = x.shape.last!
        var scaled = counts
        for index in scaled.scalars.indices { scaled.scalars[index] *= thresholds.scalars[index / width] }
        return scaled
    }

    /// Feeds `ids` and returns the logits `[vocabulary]` that predict the token after the last one.
    public func feed(_ ids: [Int32], chunkSize: Int = 512) -> [Float] {
        precondition(!ids.isEmpty, "feed at least one token")
        var last: Tensor?
        for start in stride(from: 0, to: ids.count, by: chunkSize) {
            last = forward(Array(ids[start..<min(ids.count, start + chunkSize)]))
        }
        return last!.scalars
    }

    private func forward(_ ids: [Int32]) -> Tensor {
        let c = model.configuration
        let (t, h, dh, d) = (ids.count, c.heads, c.headWidth, c.width)
        var x = backend.embedding(weight("embedding"), ids: ids)
        for (index, mixer) in c.mixers.enumerated() {
            let p = "layers.\(index)."
            let normed = spiked(backend.rmsNorm(x, gamma: weight(p + "mixer_norm"), epsilon: 1e-6))
            var q = backend.matmul(normed, weight(p + "q"), transposeA: false, transposeB: false)
            var k = backend.matmul(normed, weight(p + "k"), transposeA: false, transposeB: false)
            let v = backend.matmul(normed, weight(p + "v"), transposeA: false, transposeB: false).reshaped([t, h, dh])
            var mixed: Tensor
            switch mixer {
            case .softmax, .slidingWindow:
                q = backend.rope(q.reshaped([t, h, dh]), offset: position, inverse: false)
                k = backend.rope(k.reshaped([t, h, dh]), offset: position, inverse: false)
                keys[index] += k.scalars
                values[index] += v.scalars
                let length = keys[index].count / d
                let window = mixer == .softmax ? length : c.window
                mixed = backend.cachedAttention(q: q, k: Tensor(shape: [length, h, dh], scalars: keys[index]),
                                                v: Tensor(shape: [length, h, dh], scalars: values[index]), window: window)
                if mixer == .slidingWindow && length > c.window - 1 {
                    keys[index].removeFirst((length - (c.window - 1)) * d)
                    values[index].removeFirst((length - (c.window - 1)) * d)
                }
                mixed = mixed.reshaped([t, d])
            case .gatedLinear:
                q = backend.unary(.relu, q).reshaped([t, h, dh])
                k = backend.unary(.relu, k).reshaped([t, h, dh])
                let gate = backend.binary(.add, backend.matmul(normed, weight(p + "decay"), transposeA: false, transposeB: false),
                                          weight(p + "decay_bias"))
                let logDecay = backend.unary(.scale(1.0 / 16), backend.unary(.logSigmoid, gate)).reshaped([t, h, dh])
                let step = backend.gatedLinearAttention(q: q, k: k, v: v, logDecay: logDecay, initialState: states[index], chunkSize: 16)
                states[index] = step.state
                mixed = backend.rmsNorm(step.output.reshaped([t * h, dh]), gamma: weight(p + "head_norm"), epsilon: 1e-6).reshaped([t, d])
            }
            x = backend.binary(.add, x, backend.matmul(spiked(mixed), weight(p + "o"), transposeA: false, transposeB: false))
            let ffnInput = spiked(backend.rmsNorm(x, gamma: weight(p + "ffn_norm"), epsilon: 1e-6))
            let hidden = backend.binary(.multiply,
                                        backend.unary(.silu, backend.matmul(ffnInput, weight(p + "gate"), transposeA: false, transposeB: false)),
                                        backend.matmul(ffnInput, weight(p + "up"), transposeA: false, transposeB: false))
            x = backend.binary(.add, x, backend.matmul(spiked(hidden), weight(p + "down"), transposeA: false, transposeB: false))
        }
        position += t
        let lastRow = backend.slice(x, axis: 0, range: (t - 1)..<t)
        return backend.matmul(backend.rmsNorm(lastRow, gamma: weight("final_norm"), epsilon: 1e-6), weight("embedding"),
                              transposeA: false, transposeB: true)
    }

    /// Samples tokens after `prompt` until `stop` or `maxTokens`; `temperature` 0 is greedy. `allowed`
    /// masks the vocabulary at each step, given the tokens generated so far (e.g. to keep prompt-only tokens
    /// out of the text, or to hold the text to a grammar); it is asked once per token and step, and when it
    /// allows nothing, generation ends there.
    public func generate(prompt: [Int32], stop: Int32, maxTokens: Int, temperature: Float, seed: UInt64,
                         allowed: (_ output: [Int32], _ token: Int32) -> Bool = { _, _ in true }) -> [Int32] {
        reset()
        var generator = SeededGenerator(seed: seed)
        var logits = feed(prompt)
        var output: [Int32] = []
        while output.count < maxTokens {
            let mask = (0..<logits.count).map { allowed(output, Int32($0)) }
            guard mask.contains(true) else { break }
            let next = Self.sample(logits, temperature: temperature, allowed: { mask[Int($0)] }, using: &generator)
            output.append(next)
            if next == stop { break }
            logits = feed([next])
        }
        return output
    }

    static func sample(_ logits: [Float], temperature: Float, allowed: (Int32) -> Bool, using generator: inout SeededGenerator) -> Int32 {
        var best: Int32 = 0, bestValue = -Float.infinity
        for (index, value) in logits.enumerated() where allowed(Int32(index)) && value > bestValue {
            (best, bestValue) = (Int32(index), value)
        }
        guard temperature > 0 else { return best }
        var weights = [Double](repeating: 0, count: logits.count)
        var total: Double = 0
        for (index, value) in logits.enumerated() where allowed(Int32(index)) {
            weights[index] = Foundation.exp(Double((value - bestValue) / temperature))
            total += weights[index]
        }
        var target = Double.random(in: 0..<total, using: &generator)
        for (index, weight) in weights.enumerated() where weight > 0 {
            target -= weight
            if target < 0 { return Int32(index) }
        }
        return best
    }
}
