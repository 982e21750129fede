import Tensor

/// A two-level spiking 3-D U-Net with random weights, standing in for the shipped segmentation network
/// until it exists: the same op sequence, so a forward pass exercises what segmentation runs.
///
/// Each block is conv3d (3³, padding 1) → group norm → spike counts (per-channel threshold, at most
/// `maxCount` spikes); the encoder pools by 2, the decoder upsamples with a 2³ stride-2 transposed
/// convolution and concatenates the skip connection; a 1³ convolution gives class scores, then softmax.
public struct RandomSpikingUNet: Sendable {
    /// Input `[N, D, H, W, inputChannels]`; D, H and W must be even.
    public let inputChannels: Int
    public let classes: Int
    /// Channels of the first level (the second has twice as many).
    public let width: Int
    public static let maxCount: Float = 4

    private struct Block: Sendable {
        let weight, bias, gamma, beta, threshold: Tensor
    }

    private let encoder1, encoder2, bottom1, bottom2, decoder1, decoder2: Block
    private let upWeight, upBias, headWeight, headBias: Tensor

    public init(inputChannels: Int = 1, classes: Int = 5, width: Int = 8, seed: UInt64 = 7) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.width = width
        var g = SeededGenerator(seed: seed)
        func block(_ cin: Int, _ cout: Int) -> Block {
            Block(weight: .randomNormal(shape: [3, 3, 3, cin, cout], standardDeviation: (2 / Float(27 * cin)).squareRoot(), using: &g),
                  bias: .randomNormal(shape: [cout], standardDeviation: 0.1, using: &g),
                  gamma: .randomUniform(shape: [cout], in: 0.8...1.2, using: &g),
                  beta: .randomNormal(shape: [cout], standardDeviation: 0.2, using: &g),
                  threshold: .randomUniform(shape: [cout], in: 0.3...0.6, using: &g))
        }
        encoder1 = block(inputChannels, width)
        encoder2 = block(width, width)
        bottom1 = block(width, 2 * width)
        bottom2 = block(2 * width, 2 * width)
        upWeight = .randomNormal(shape: [2, 2, 2, width, 2 * width], standardDeviation: (1 / Float(2 * width)).squareRoot(), using: &g)
        upBias = .randomNormal(shape: [width], standardDeviation: 0.1, using: &g)
        decoder1 = block(2 * width, width)
        decoder2 = block(width, width)
        headWeight = .randomNormal(shape: [1, 1, 1, width, classes], standardDeviation: (1 / Float(width)).squareRoot(), using: &g)
        headBias = .randomNormal(shape: [classes], standardDeviation: 0.1, using: &g)
    }

    private func apply(_ block: Block, _ x: Tensor, on backend: any Backend) -> Tensor {
        let convolved = backend.conv3d(x, weight: block.weight, bias: block.bias, geometry: ConvGeometry(size: 3, padding: 1))
        let normalized = backend.groupNorm(convolved, groups: 2, gamma: block.gamma, beta: block.beta, epsilon: 1e-5)
        return backend.spikeCounts(normalized, threshold: block.threshold, maxCount: Self.maxCount)
    }

    /// Class probabilities `[N, D, H, W, classes]` of `input` `[N, D, H, W, inputChannels]`.
    public func forward(_ input: Tensor, on backend: any Backend) -> Tensor {
        precondition(input.rank == 5 && input.shape[4] == inputChannels && input.shape[1...3].allSatisfy { $0 % 2 == 0 },
                     "the U-Net takes [N, D, H, W, \(inputChannels)] with even D, H, W; got \(input.shape)")
        let skip = apply(encoder2, apply(encoder1, input, on: backend), on: backend)
        let bottom = apply(bottom2, apply(bottom1, backend.maxPool3d(skip, size: 2), on: backend), on: backend)
        let up = backend.convTranspose3d(bottom, weight: upWeight, bias: upBias, geometry: ConvGeometry(size: 2, stride: 2))
        let decoded = apply(decoder2, apply(decoder1, backend.concat([up, skip], axis: 4), on: backend), on: backend)
        let scores = backend.conv3d(decoded, weight: headWeight, bias: headBias, geometry: ConvGeometry(size: 1))
        return backend.softmax(scores)
    }

    /// Multiply–accumulates of one forward pass over `voxels` input voxels (convolutions only).
    public func multiplyAccumulates(voxels: Int) -> Int {
        let full = 27 * (inputChannels * width + width * width + 2 * width * width + width * width) + width * classes
        let half = 27 * (width * 2 * width + 4 * width * width) + 8 * 2 * width * width
        return voxels * full + voxels / 8 * half
    }
}
