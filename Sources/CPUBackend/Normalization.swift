import Foundation
import Tensor

/// Per-(batch, group) mean and 1/σ of `[N, …, C]`, over the spatial positions and the group's channels,
/// spread out per channel (`mean[b·C + c]`, `inverseDeviation[b·C + c]`).
private struct GroupStatistics {
    let batches, positions, channels, groups: Int
    var mean: [Float] = []
    var inverseDeviation: [Float] = []

    init(_ input: Tensor, groups: Int, epsilon: Float, backend: CPUBackend) {
        precondition(input.rank >= 2, "group norm needs [N, …, C], got \(input.shape)")
        let batches = input.shape[0], channels = input.shape[input.rank - 1]
        precondition(groups > 0 && channels % groups == 0, "\(channels) channels do not split into \(groups) groups")
        let positions = input.count / (batches * channels)
        (self.batches, self.channels, self.positions, self.groups) = (batches, channels, positions, groups)
        let sums = backend.channelSums(input, batches: batches) { value, _ in (value, value * value) }
        let width = channels / groups
        let n = Double(positions * width)
        for batch in 0..<batches {
            for group in 0..<groups {
                let range = (batch * channels + group * width)..<(batch * channels + (group + 1) * width)
                let m = sums.first[range].reduce(0, +) / n
                let variance = max(0, sums.second[range].reduce(0, +) / n - m * m)
                mean += [Float](repeating: Float(m), count: width)
                inverseDeviation += [Float](repeating: Float(1 / (variance + Double(epsilon)).squareRoot()), count: width)
            }
        }
    }
}

extension CPUBackend {
    /// Per (batch, channel) sums of two functions of each value of `[N, …, C]` (given the value and its
    /// flat index), in Double, split across workers by positions.
    func channelSums(_ input: Tensor, batches: Int,
                     _ terms: (_ value: Double, _ index: Int) -> (Double, Double)) -> (first: [Double], second: [Double]) {
        let channels = input.shape.last ?? 1, positions = input.count / (batches * channels)
        var partials = [Double](repeating: 0, count: 2 * threadCount * batches * channels)
        input.scalars.withUnsafeBufferPointer { x in
            partials.withUnsafeMutableBufferPointer { partial in
                let (source, sums) = (x.baseAddress!, partial.baseAddress!)
                for batch in 0..<batches {
                    parallelRows(positions, rowWidth: channels) { worker, rows in
                        let first = sums + (2 * worker * batches + batch) * channels
                        let second = first + batches * channels
                        for position in rows {
                            let row = (batch * positions + position) * channels
                            for c in 0..<channels {
                                let (a, b) = terms(Double(source[row + c]), row + c)
                                first[c] += a
                                second[c] += b
                            }
                        }
                    }
                }
            }
        }
        var first = [Double](repeating: 0, count: batches * channels), second = first
        for worker in 0..<threadCount {
            for index in first.indices {
                first[index] += partials[2 * worker * batches * channels + index]
                second[index] += partials[(2 * worker + 1) * batches * channels + index]
            }
        }
        return (first, second)
    }

    /// `x[b, p, c] = x[b, p, c] · scale[b·C + c] + shift[b·C + c]` (plus `extra[b·C + c] · other[b, p, c]` when given),
    /// split across workers by positions.
    private func affinePerChannel(_ x: UnsafeMutablePointer<Float>, batches: Int, positions: Int, channels: Int,
                                  scale: [Float], shift: [Float], extra: (other: UnsafePointer<Float>, factor: [Float])? = nil) {
        for batch in 0..<batches {
            let offset = batch * channels
            parallelRows(positions, rowWidth: channels) { _, rows in
                for position in rows {
                    let row = (batch * positions + position) * channels
                    for c in 0..<channels { x[row + c] = x[row + c] * scale[offset + c] + shift[offset + c] }
                    if let extra {
                        for c in 0..<channels { x[row + c] += extra.factor[offset + c] * extra.other[row + c] }
                    }
                }
            }
        }
    }

    public func groupNorm(_ input: Tensor, groups: Int, gamma: Tensor, beta: Tensor, epsilon: Float) -> Tensor {
        let stats = GroupStatistics(input, groups: groups, epsilon: epsilon, backend: self)
        let c = stats.channels
        precondition(gamma.shape == [c] && beta.shape == [c], "group norm γ and β must be [\(c)]")
        let scale = stats.inverseDeviation.indices.map { gamma.scalars[$0 % c] * stats.inverseDeviation[$0] }
        let shift = scale.indices.map { beta.scalars[$0 % c] - stats.mean[$0] * scale[$0] }
        var result = input
        result.scalars.withUnsafeMutableBufferPointer { x in
            affinePerChannel(x.baseAddress!, batches: stats.batches, positions: stats.positions, channels: c, scale: scale, shift: shift)
        }
        return result
    }

    public func groupNormBackward(_ gradOutput: Tensor, input: Tensor, groups: Int, gamma: Tensor,
                                  epsilon: Float) -> (input: Tensor, gamma: Tensor, beta: Tensor) {
        let stats = GroupStatistics(input, groups: groups, epsilon: epsilon, backend: self)
        let c = stats.channels, width = c / groups
        // Per (batch, channel): Σ g and Σ g·x̂.
        let sums = gradOutput.scalars.withUnsafeBufferPointer { g in
            channelSums(input, batches: stats.batches) { value, index in
                let channel = index % c, slot = index / (stats.positions * c) * c + channel
                let gradient = Double(g[index])
                return (gradient, gradient * (value - Double(stats.mean[slot])) * Double(stats.inverseDeviation[slot]))
            }
        }
        var gradGamma = [Float](repeating: 0, count: c), gradBeta = gradGamma
        // dx = σ⁻¹ (g·γ − mean_group(g·γ) − x̂ · mean_group(g·γ·x̂)), as g·a + x·d + e per channel.
        var a = [Float](repeating: 0, count: stats.batches * c), d = a, e = a
        let n = Double(stats.positions * width)
        for batch in 0..<stats.batches {
            var meanGG = [Double](repeating: 0, count: groups), meanGGX = meanGG
            for channel in 0..<c {
                let slot = batch * c + channel
                gradGamma[channel] += Float(sums.second[slot])
                gradBeta[channel] += Float(sums.first[slot])
                meanGG[channel / width] += sums.first[slot] * Double(gamma.scalars[channel]) / n
                meanGGX[channel / width] += sums.second[slot] * Double(gamma.scalars[channel]) / n
            }
            for channel in 0..<c {
                let slot = batch * c + channel, inverse = Double(stats.inverseDeviation[slot])
                a[slot] = Float(inverse * Double(gamma.scalars[channel]))
                d[slot] = Float(-inverse * inverse * meanGGX[channel / width])
                e[slot] = Float(-inverse * meanGG[channel / width] + inverse * inverse * meanGGX[channel / width] * Double(stats.mean[slot]))
            }
        }
        var result = gradOutput
        input.scalars.withUnsafeBufferPointer { x in
            result.scalars.withUnsafeMutableBufferPointer { g in
                affinePerChannel(g.baseAddress!, batches: stats.batches, positions: stats.positions, channels: c,
                                 scale: a, shift: e, extra: (x.baseAddress!, d))
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
