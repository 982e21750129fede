import CPUBackend
import Segmentation
import Tensor
import Testing

struct SpikingConversionTests {
    @Test func convertedNetworkKeepsTheWeightsAndCalibratedThresholdsKeepItsLogitsClose() {
        var configuration = SpikingUNet3DTests.tiny(.clippedReLU)
        configuration.voxelMM = 3
        let conventional = SpikingUNet3D(configuration: configuration, seed: 11)
        let generator = SyntheticImageGeneratorTests.generator { $0.size = 16; $0.voxelMM = 3 }
        let batch = generator.batch(run: 4, step: 0, batchSize: 3)
        let voxels = 16 * 16 * 16
        let images = (0..<3).map { Array(batch.images[($0 * voxels)..<(($0 + 1) * voxels)]) }

        let spiking = SpikingConversion.convert(conventional, calibration: images, size: 16, threads: 2)

        #expect(spiking.configuration.activation == .spiking)
        for name in conventional.parameters.names {
            #expect(spiking.parameters[name]!.value == conventional.parameters[name]!.value, "\(name) was not copied")
        }
        for site in spiking.activationSites {
            #expect(spiking.parameters["\(site).threshold"]!.value.scalars.allSatisfy { $0 > 0 })
        }
        let graph = Graph(backend: CPUBackend(threadCount: 2), isRecording: false)
        let input = Variable(Tensor(shape: [1, 16, 16, 16, 1], scalars: images[0]))
        let reference = conventional.logits(input, graph: graph).value
        func relativeError(_ model: SpikingUNet3D) -> Float {
            let logits = model.logits(input, graph: graph).value
            var difference: Float = 0, magnitude: Float = 0
            for index in reference.scalars.indices {
                difference += (reference.scalars[index] - logits.scalars[index]) * (reference.scalars[index] - logits.scalars[index])
                magnitude += reference.scalars[index] * reference.scalars[index]
            }
            return (difference / magnitude).squareRoot()
        }
        let calibrated = relativeError(spiking)
        for site in spiking.activationSites {
            let threshold = spiking.parameters["\(site).threshold"]!
            threshold.value = Tensor(shape: threshold.shape, scalars: threshold.value.scalars.map { $0 * 10 })
        }
        let miscalibrated = relativeError(spiking)
        // Ten layers quantised to at most 8 spikes each, in an untrained 4-channel network: about a quarter.
        #expect(calibrated < 0.4, "relative L2 error of the logits after calibration: \(calibrated)")
        #expect(calibrated < miscalibrated / 2, "calibrated \(calibrated) vs thresholds ten times too high \(miscalibrated)")
    }
}
