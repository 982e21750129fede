import Foundation
import Tensor

/// Per-(batch, group) mean and 1/σ of `[N, …, C]`, over the spatial positions and the group's channels.
private struct GroupStatistics {
    let batches, positions, channels, groups: Int
    var mean: [Float]
    var inverseDeviation: [Float]

    init(_ input: Tensor, groups: Int, epsilon: Float) {
        precondition(input.rank >= 2, "group norm needs [N, …, C], got \(input.shape)")
        let batches = input.shape[0], channels = input.shape[input.rank - 1]
        precondition(groups > 0 && channels % groups == 0, "\(channels) channels do not split into \(groups) groups")
        let positions = input.count / (batches * channels)
        (self.batches, self.channels, self.positions, self.groups) = (batches, channels, positions, groups)
        var sums = [Double](repeating: 0, count: batches * channels)
        var squares = sums
        input.scalars.withUnsafeBufferPointer { x in
            for batch in 0..<batches {
                for position in 0..<positions {
                    let row = (batch * positions + position) * channels
                    for channel in 0..<channels {
                        let value = Double(x[row + channel])
                        sums[batch * channels + channel] += value
                        squares[batch * channels + channel] += value * value
                    }
                }
            }
        }
        let width = channels / groups
        let n = Double(positions * width)
        mean = []
        inverseDeviation = []
        for batch in 0..<batches {
            for group in 0..<groups {
                let range = (batch * channels + group * width)..<(batch * channels + (group + 1) * width)
                let m = sums[range].reduce(0, +) / n
                let variance = max(0, squares[range].reduce(0, +) / n - m * m)
                mean.append(Float(m))
                inverseDeviation.append(Float(1 / (variance + Double(epsilon)).squareRoot()))
            }
        }
    }

    /// Index of the statistics for a batch and channel.
    func slot(batch: Int, channel: Int) -> Int { batch * groups + channel / (channels / groups) }
}

extension CPUBackend {
    public func groupNorm(_ input: Tensor, groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float) -> Tensor {
        let stats = GroupStatistics(input, groups: groups, epsilon: epsilon)
        let c = stats.channels
        precondition(gamma.shape == [c] && beta.shape == [c], "group norm γ and β must be [\(c)]")
        var result = input
        result.scalars.withUnsafeMutableBufferPointer { x in
            for batch in 0..<stats.batches {
                let scale = (0..<c).map { gamma.scalars[$0] * stats.inverseDeviation[stats.slot(batch: batch, channel: $0)] }
                let shift = (0..<c).map { beta.scalars[$0] - stats.mean[stats.slot(batch: batch, channel: $0)] * scale[$0] }
                for position in 0..<stats.positions {
                    let row = (batch * stats.positions + position) * c
                    for channel in 0..<c { x[row + channel] = x[row + channel] * scale[channel] + shift[channel] }
                }
            }
        }
        return result
    }

    public func groupNormBackward(_ gradOutput: Tensor, input: Tensor, groups: Int, gamma: Tensor,
                                  epsilon: Float) -> (input: Tensor, gamma: Tensor, beta: Tensor) {
        let stats = GroupStatistics(input, groups: groups, epsilon: epsilon)
        let c = stats.channels, width = c / groups
        var gradGamma = [Float](repeating: 0, count: c), gradBeta = gradGamma
        var result = gradOutput
        input.scalars.withUnsafeBufferPointer { x in
            result.scalars.withUnsafeMutableBufferPointer { g in
                for batch in 0..<stats.batches {
                    // Per channel: Σ g and Σ g·x̂, then per group the means of g·γ and g·γ·x̂.
                    var sumG = [Double](repeating: 0, count: c), sumGX = sumG
                    for position in 0..<stats.positions {
                        let row = (batch * stats.positions + position) * c
                        for channel in 0..<c {
                            let slot = stats.slot(batch: batch, channel: channel)
                            let normalized = (x[row + channel] - stats.mean[slot]) * stats.inverseDeviation[slot]
                            sumG[channel] += Double(g[row + channel])
                            sumGX[channel] += Double(g[row + channel] * normalized)
                        }
                    }
                    var meanGG = [Float](repeating: 0, count: groups), meanGGX = meanGG
                    let n = Double(stats.positions * width)
                    for channel in 0..<c {
                        gradGamma[channel] += Float(sumGX[channel])
                        gradBeta[channel] += Float(sumG[channel])
                        meanGG[channel / width] += Float(sumG[channel] * Double(gamma.scalars[channel]) / n)
                        meanGGX[channel / width] += Float(sumGX[channel] * Double(gamma.scalars[channel]) / n)
                    }
                    for position in 0..<stats.positions {
                        let row = (batch * stats.positions + position) * c
                        for channel in 0..<c {
                            let slot = stats.slot(batch: batch, channel: channel), group = channel / width
                            let normalized = (x[row + channel] - stats.mean[slot]) * stats.inverseDeviation[slot]
                            g[row + channel] = stats.inverseDeviation[slot]
                                * (g[row + channel] * gamma.scalars[channel] - meanGG[group] - normalized * meanGGX[group])
                        }
                    }
                }
            }
        }
        return (result, Tensor(shape: [c], scalars: gradGamma), Tensor(shape: [c], scalars: gradBeta))
    }

    public func rmsNorm(_ input: Tensor, gamma: Tensor, epsilon: Float) -> Tensor {
        let width = input.shape.last ?? 0
        precondition(gamma.shape == [width], "RMSNorm γ must be [\(width)]")
        var result = input
        result.scalars.withUnsafeMutableBufferPointer { x in
            for row in stride(from: 0, to: x.count, by: width) {
                var squares: Float = 0
                for column in 0..<width { squares += x[row + column] * x[row + column] }
                let inverse = 1 / (squares / Float(width) + epsilon).squareRoot()
                for column in 0..<width { x[row + column] *= inverse * gamma.scalars[column] }
            }
        }
        return result
    }

    public func rmsNormBackward(_ gradOutput: Tensor, input: Tensor, gamma: Tensor, epsilon: Float) -> (input: Tensor, gamma: Tensor) {
        let width = input.shape.last ?? 0
        var gradGamma = [Float](repeating: 0, count: width)
        var result = gradOutput
        input.scalars.withUnsafeBufferPointer { x in
            result.scalars.withUnsafeMutableBufferPointer { g in
                for row in stride(from: 0, to: x.count, by: width) {
                    var squares: Float = 0, dot: Float = 0
                    for column in 0..<width {
                        squares += x[row + column] * x[row + column]
                        dot += g[row + column] * gamma.scalars[column] * x[row + column]
                    }
                    let inverse = 1 / (squares / Float(width) + epsilon).squareRoot()
                    let correction = inverse * inverse * inverse * dot / Float(width)
                    for column in 0..<width {
                        gradGamma[column] += g[row + column] * x[row + column] * inverse
                        g[row + column] = inverse * gamma.scalars[column] * g[row + column] - correction * x[row + column]
                    }
                }
            }
        }
        return (result, Tensor(shape: [width], scalars: gradGamma))
    }
}
