import Foundation
import Tensor

/// The hidden activation of the network: the conventional form used for training, or its spiking form.
public enum ActivationKind: String, Codable, Sendable {
    /// min(max(x, 0), ceiling): the conventional network that is trained first.
    case clippedReLU = "clipped_relu"
    /// θ · clamp(round(x / θ), 0, S_max) with a per-channel threshold θ: integer spike counts.
    case spiking
}

/// Shape and activation of a `SpikingUNet3D`; stored as JSON beside the weights.
public struct UNetConfiguration: Codable, Sendable, Equatable {
    public var inputChannels = 1
    /// Output classes: background + the 32 structures of `LabelSet`.
    public var classes = LabelSet.count
    /// Channels at full resolution; each level down doubles them.
    public var baseChannels = 8
    /// Resolution levels, the deepest one being the bottleneck.
    public var levels = 4
    /// Group-norm groups (divides every level's channel count).
    public var normGroups = 4
    public var activation = ActivationKind.clippedReLU
    /// Ceiling of the clipped ReLU; also the largest value a spiking layer's calibration aims to cover.
    public var clipCeiling: Float = 6
    /// S_max: the largest spike count per activation.
    public var maxSpikeCount: Float = 8
    /// Voxel size (mm) of the images the network was trained on.
    public var voxelMM: Double = 2

    public init() {}

    /// Input extents must be multiples of this (one halving per level below the first).
    public var sizeMultiple: Int { 1 << (levels - 1) }

    func channels(atLevel level: Int) -> Int { baseChannels << level }
}

/// A 3D U-Net whose hidden activations are the spiking neurons of DESIGN.md (or, before conversion,
/// clipped ReLUs). Per level: two 3×3×3 convolutions, each followed by group norm and the activation;
/// 2× max pooling down, a 2×2×2 stride-2 transposed convolution up, skip connections by concatenation,
/// and a 1×1×1 convolution to class logits. Tensors are NDHWC.
public final class SpikingUNet3D {
    public let configuration: UNetConfiguration
    public let parameters = ParameterSet()
    /// Names of the activation sites in evaluation order (each has a threshold in the spiking form).
    public private(set) var activationSites: [String] = []

    public init(configuration: UNetConfiguration, seed: UInt64) {
        precondition(configuration.levels >= 2, "a U-Net needs at least two levels")
        self.configuration = configuration
        var generator = SeededGenerator(seed: seed)
        var inputChannels = configuration.inputChannels
        for level in 0..<configuration.levels {
            let channels = configuration.channels(atLevel: level)
            addConvBlock("enc\(level)", input: inputChannels, output: channels, generator: &generator)
            inputChannels = channels
        }
        for level in stride(from: configuration.levels - 2, through: 0, by: -1) {
            let channels = configuration.channels(atLevel: level)
            let below = configuration.channels(atLevel: level + 1)
            parameters.he("dec\(level).up.weight", shape: [2, 2, 2, channels, below], fanIn: 8 * below, using: &generator)
            parameters.constant("dec\(level).up.bias", shape: [channels], value: 0)
            addConvBlock("dec\(level)", input: 2 * channels, output: channels, generator: &generator)
        }
        let base = configuration.baseChannels
        parameters.normal("head.weight", shape: [1, 1, 1, base, configuration.classes],
                          standardDeviation: (1 / Float(base)).squareRoot(), using: &generator)
        parameters.constant("head.bias", shape: [configuration.classes], value: 0)
    }

    private func addConvBlock(_ name: String, input: Int, output: Int, generator: inout SeededGenerator) {
        for (index, inChannels) in [input, output].enumerated() {
            let prefix = "\(name).conv\(index + 1)"
            parameters.he("\(prefix).weight", shape: [3, 3, 3, inChannels, output], fanIn: 27 * inChannels, using: &generator)
            parameters.constant("\(prefix).gamma", shape: [output], value: 1)
            parameters.constant("\(prefix).beta", shape: [output], value: 0)
            if configuration.activation == .spiking {
                parameters.constant("\(prefix).threshold", shape: [output], value: configuration.clipCeiling / configuration.maxSpikeCount)
            }
            activationSites.append(prefix)
        }
    }

    /// Class logits `[N, D, H, W, classes]` for images `[N, D, H, W, inputChannels]`. `observe` sees every
    /// activation site's output (after the activation), e.g. to count spikes or calibrate thresholds.
    public func logits(_ input: Variable, graph: Graph, observe: ((String, Tensor) -> Void)? = nil) -> Variable {
        let shape = input.shape
        precondition(shape.count == 5 && shape[1...3].allSatisfy { $0 % configuration.sizeMultiple == 0 },
                     "input \(shape) must be NDHWC with spatial extents divisible by \(configuration.sizeMultiple)")
        var skips: [Variable] = []
        var x = input
        for level in 0..<configuration.levels {
            if level > 0 { x = graph.maxPool3d(x, size: 2) }
            x = convBlock("enc\(level)", x, graph: graph, observe: observe)
            skips.append(x)
        }
        for level in stride(from: configuration.levels - 2, through: 0, by: -1) {
            x = graph.convTranspose3d(x, weight: parameter("dec\(level).up.weight"), bias: parameter("dec\(level).up.bias"),
                                      geometry: ConvGeometry(size: 2, stride: 2))
            x = graph.concat([x, skips[level]], axis: 4)
            x = convBlock("dec\(level)", x, graph: graph, observe: observe)
        }
        return graph.conv3d(x, weight: parameter("head.weight"), bias: parameter("head.bias"), geometry: ConvGeometry(size: 1))
    }

    private func convBlock(_ name: String, _ input: Variable, graph: Graph, observe: ((String, Tensor) -> Void)?) -> Variable {
        var x = input
        for index in 1...2 {
            let prefix = "\(name).conv\(index)"
            x = graph.conv3d(x, weight: parameter("\(prefix).weight"), bias: nil, geometry: ConvGeometry(size: 3, padding: 1))
            x = graph.groupNorm(x, groups: configuration.normGroups, gamma: parameter("\(prefix).gamma"),
                                beta: parameter("\(prefix).beta"))
            switch configuration.activation {
            case .clippedReLU:
                x = graph.clippedReLU(x, ceiling: configuration.clipCeiling)
            case .spiking:
                x = graph.spike(x, threshold: parameter("\(prefix).threshold"), maxCount: configuration.maxSpikeCount)
            }
            observe?(prefix, x.value)
        }
        return x
    }

    private func parameter(_ name: String) -> Variable {
        guard let variable = parameters[name] else { preconditionFailure("no parameter '\(name)'") }
        return variable
    }
}
