import CPUBackend
import Foundation
import LanguageModel
import Tensor
import Testing

/// The decoder (chunked prefill, caches, recurrent state) against the training graph, which is the definition.
struct DecoderTests {
    static func model(_ mixers: [MixerKind], spiking: Bool, window: Int = 8) -> LanguageModel {
        var configuration = LMConfiguration(vocabularySize: 50)
        configuration.width = 32
        configuration.heads = 2
        configuration.feedForwardWidth = 48
        configuration.mixers = mixers
        configuration.window = window
        configuration.spiking = spiking
        let model = LanguageModel(configuration: configuration, seed: 7)
        var generator = SeededGenerator(seed: 3)
        for variable in model.parameters.variables where variable.shape.count == 1 {
            variable.value = Tensor.randomUniform(shape: variable.shape, in: 0.5...1.5, using: &generator)
        }
        return model
    }

    static let ids: [Int32] = (0..<41).map { Int32(($0 * 17 + 5) % 50) }

    func graphLogits(_ model: LanguageModel, _ ids: [Int32]) -> [Float] {
        let graph = Graph(backend: CPUBackend(threadCount: 2), isRecording: false)
        let all = model.logits(ids, graph: graph).value
        let vocabulary = model.configuration.vocabularySize
        return Array(all.scalars[((ids.count - 1) * vocabulary)...])
    }

    @Test(arguments: [[MixerKind.softmax, .softmax], [.gatedLinear, .slidingWindow], [.slidingWindow, .gatedLinear, .softmax]])
    func chunkedDecodingMatchesTheGraph(mixers: [MixerKind]) {
        let model = Self.model(mixers, spiking: false)
        let expected = graphLogits(model, Self.ids)
        for chunk in [1, 5, 16, 41] {
            let decoder = Decoder(model: model, backend: CPUBackend(threadCount: 2))
            let logits = decoder.feed(Self.ids, chunkSize: chunk)
            let error = zip(logits, expected).map { abs($0 - $1) }.max()!
            #expect(error < 1e-4, "chunk \(chunk): max error \(error)")
        }
    }

    @Test func spikingHybridPrefillMatchesTheGraphAndCountsSpikes() {
        let model = Self.model([.gatedLinear, .slidingWindow], spiking: true)
        let decoder = Decoder(model: model, backend: CPUBackend(threadCount: 2))
        let logits = decoder.feed(Self.ids, chunkSize: Self.ids.count)
        let error = zip(logits, graphLogits(model, Self.ids)).map { abs($0 - $1) }.max()!
        #expect(error < 1e-4)
        // Two layers × (mixer input, mixer output, FFN input, FFN hidden) per token.
        #expect(decoder.statistics.activations == Self.ids.count * 2 * (32 + 32 + 32 + 48))
        #expect(decoder.statistics.zeroCountFraction > 0.05 && decoder.statistics.zeroCountFraction < 0.95)
    }

    @Test func hybridMemoryStaysFlatWhileSoftmaxMemoryGrows() {
        let hybrid = Decoder(model: Self.model([.gatedLinear, .slidingWindow], spiking: true), backend: CPUBackend(threadCount: 2))
        let softmax = Decoder(model: Self.model([.softmax, .softmax], spiking: false), backend: CPUBackend(threadCount: 2))
        let long = (0..<400).map { Int32($0 % 50) }
        _ = hybrid.feed(Array(long[..<100]), chunkSize: 16)
        _ = softmax.feed(Array(long[..<100]), chunkSize: 16)
        let (hybridShort, softmaxShort) = (hybrid.contextBytes, softmax.contextBytes)
        _ = hybrid.feed(Array(long[100...]), chunkSize: 16)
        _ = softmax.feed(Array(long[100...]), chunkSize: 16)
        #expect(hybrid.contextBytes == hybridShort)
        #expect(softmax.contextBytes == softmaxShort * 4)
    }

    @Test func seededGenerationIsDeterministic() {
        let model = Self.model([.gatedLinear, .slidingWindow], spiking: true)
        let decoder = Decoder(model: model, backend: CPUBackend(threadCount: 2))
        let first = decoder.generate(prompt: [1, 2, 3], stop: 0, maxTokens: 30, temperature: 1, seed: 11)
        let again = decoder.generate(prompt: [1, 2, 3], stop: 0, maxTokens: 30, temperature: 1, seed: 11)
        let other = decoder.generate(prompt: [1, 2, 3], stop: 0, maxTokens: 30, temperature: 1, seed: 12)
        #expect(first == again)
        #expect(first != other)
    }

    @Test func conversionCopiesEveryWeightAndAddsSmallGates() {
        let softmax = Self.model([.softmax, .softmax, .softmax, .softmax], spiking: false)
        let hybrid = softmax.converted(to: softmax.configuration.hybrid(), seed: 1)
        #expect(hybrid.configuration.mixers == [.slidingWindow, .gatedLinear, .slidingWindow, .gatedLinear])
        #expect(hybrid.configuration.spiking)
        for name in softmax.parameters.names { #expect(hybrid.parameters[name]!.value == softmax.parameters[name]!.value, "\(name)") }
        let added = Set(hybrid.parameters.names).subtracting(softmax.parameters.names)
        #expect(added == ["layers.1.decay", "layers.1.decay_bias", "layers.1.head_norm", "layers.3.decay", "layers.3.decay_bias", "layers.3.head_norm"])
        #expect(hybrid.parameters["layers.1.decay"]!.value.scalars.allSatisfy { abs($0) < 0.1 })
    }
}
