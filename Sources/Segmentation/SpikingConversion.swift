import CPUBackend
import Foundation
import Tensor

/// ANN → SNN conversion, SpikingBrain-style: copy the trained conventional weights into the spiking form,
/// set each channel's threshold θ from the activations the conventional network produces on calibration
/// images (θ = the 99.9th percentile of the channel's clipped-ReLU output / S_max, so counts rarely clamp),
/// then fine-tune the spiking form briefly.
public enum SpikingConversion {
    /// Threshold floor, so a channel that never fires still divides safely.
    static let minimumThreshold: Float = 1e-3

    /// The spiking model with the conventional model's weights and calibrated thresholds.
    public static func convert(_ conventional: SpikingUNet3D, calibration images: [[Float]], size: Int, threads: Int) -> SpikingUNet3D {
        precondition(conventional.configuration.activation == .clippedReLU, "conversion starts from the conventional form")
        var configuration = conventional.configuration
        configuration.activation = .spiking
        let spiking = SpikingUNet3D(configuration: configuration, seed: 1)
        for name in conventional.parameters.names {
            spiking.parameters[name]!.value = conventional.parameters[name]!.value
        }
        var samples: [String: [[Float]]] = [:]
        let graph = Graph(backend: CPUBackend(threadCount: threads), isRecording: false)
        for image in images {
            let input = Variable(Tensor(shape: [1, size, size, size, 1], scalars: image))
            _ = conventional.logits(input, graph: graph) { site, output in
                let channels = output.shape.last ?? 1
                var perChannel = samples[site] ?? Array(repeating: [], count: channels)
                // Every 7th activation is plenty for a percentile and keeps memory small.
                for index in stride(from: 0, to: output.count, by: 7) { perChannel[index % channels].append(output.scalars[index]) }
                samples[site] = perChannel
            }
        }
        for site in conventional.activationSites {
            guard let perChannel = samples[site] else { continue }
            let thresholds = perChannel.map { values -> Float in
                guard !values.isEmpty else { return minimumThreshold }
                let sorted = values.sorted()
                let high = sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * 0.999))]
                return max(high / configuration.maxSpikeCount, minimumThreshold)
            }
            spiking.parameters["\(site).threshold"]!.value = Tensor(shape: [thresholds.count], scalars: thresholds)
        }
        return spiking
    }
}
