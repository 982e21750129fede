import CPUBackend
import Foundation
import Segmentation
import Tensor
import TestSupport
import Testing

struct SpikingUNet3DTests {
    static func tiny(_ activation: ActivationKind) -> UNetConfiguration {
        var configuration = UNetConfiguration()
        configuration.baseChannels = 4
        configuration.levels = 3
        configuration.normGroups = 2
        configuration.activation = activation
        return configuration
    }

    @Test func logitsHaveOneScorePerClassAtInputResolution() {
        let model = SpikingUNet3D(configuration: Self.tiny(.clippedReLU), seed: 3)
        let graph = Graph(backend: CPUBackend(threadCount: 2), isRecording: false)
        let input = Variable(Tensor(repeating: 0.5, shape: [1, 8, 12, 16, 1]))
        #expect(model.logits(input, graph: graph).shape == [1, 8, 12, 16, LabelSet.count])
        #expect(model.activationSites.count == 2 * (3 + 2))
    }

    @Test func spikingActivationsAreWholeSpikeCountsOfTheirThresholds() throws {
        let configuration = Self.tiny(.spiking)
        let model = SpikingUNet3D(configuration: configuration, seed: 5)
        var generator = SeededGenerator(seed: 9)
        let input = Variable(Tensor.randomNormal(shape: [1, 8, 8, 8, 1], using: &generator))
        var checked = 0
        _ = model.logits(input, graph: Graph(backend: CPUBackend(threadCount: 2), isRecording: false)) { site, output in
            let thresholds = model.parameters["\(site).threshold"]!.value.scalars
            for (index, value) in output.scalars.enumerated() {
                let count = value / thresholds[index % thresholds.count]
                #expect(abs(count - count.rounded()) < 1e-4 && count >= 0 && count <= configuration.maxSpikeCount)
            }
            checked += 1
        }
        #expect(checked == model.activationSites.count)
    }

    @Test func trainingOnPhantomHeadsRaisesValidationDiceAndResumesFromItsCheckpoint() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let generator = SyntheticImageGeneratorTests.generator { $0.size = 24; $0.voxelMM = 3 }
        var options = TrainingOptions()
        options.steps = 60
        options.warmupSteps = 5
        options.peakLearningRate = 5e-3
        options.validationSamples = 2
        var configuration = Self.tiny(.clippedReLU)
        configuration.voxelMM = 3
        let trainer = try SegmentationTrainer(configuration: configuration, generator: generator, options: options,
                                              folder: scratch.url, threads: 2)
        let before = trainer.validationDice()
        var losses: [StepLoss] = []
        while trainer.step < options.steps { losses.append(trainer.trainStep()) }
        let after = trainer.validationDice()
        #expect(after > before + 0.1, "validation Dice \(before) → \(after)")
        let first = losses.prefix(10).map(\.total).reduce(0, +), last = losses.suffix(10).map(\.total).reduce(0, +)
        #expect(last < first, "loss did not fall: \(first / 10) → \(last / 10)")

        try trainer.checkpoint(loss: losses[losses.count - 1], seconds: 0, validationDice: after)
        let resumed = try SegmentationTrainer(configuration: configuration, generator: generator, options: options,
                                              folder: scratch.url, threads: 2)
        #expect(resumed.step == options.steps)
        #expect(resumed.model.parameters.tensors == trainer.model.parameters.tensors)
        let log = try String(contentsOf: scratch.url.appendingPathComponent(SegmentationTrainer.logFile), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 2)
    }
}
