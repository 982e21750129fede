import Foundation
import Tensor

/// Rounds half to even without a libm call (Swift's baseline x86-64 target has no rounding instruction, so
/// `rounded(.toNearestOrEven)` becomes a `rintf` call per value and blocks vectorisation): adding and
/// subtracting 1.5·2²³ rounds any |x| < 2²² in the default rounding mode; larger values are integers already.
@inline(__always)
func roundedToNearestEven(_ x: Float) -> Float {
    let magic: Float = 12_582_912
    return abs(x) < 4_194_304 ? (x + magic) - magic : x
}

extension UnaryOp {
    func apply(_ x: Float) -> Float {
        switch self {
        case .relu: return max(x, 0)
        case .clippedReLU(let ceiling): return min(max(x, 0), ceiling)
        case .silu: return x / (1 + Foundation.exp(-x))
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .logSigmoid: return min(x, 0) - log1p(Foundation.exp(-abs(x)))
        case .exp: return Foundation.exp(x)
        case .negate: return -x
        case .scale(let factor): return x * factor
        case .square: return x * x
        }
    }

    func derivative(_ x: Float) -> Float {
        switch self {
        case .relu: return x > 0 ? 1 : 0
        case .clippedReLU(let ceiling): return x > 0 && x < ceiling ? 1 : 0
        case .silu:
            let s = 1 / (1 + Foundation.exp(-x))
            return s * (1 + x * (1 - s))
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-x))
            return s * (1 - s)
        case .logSigmoid: return 1 / (1 + Foundation.exp(x))
        case .exp: return Foundation.exp(x)
        case .negate: return -1
        case .scale(let factor): return factor
        case .square: return 2 * x
        }
    }
}

extension CPUBackend {
    public func unary(_ op: UnaryOp, _ input: Tensor) -> Tensor {
        var result = input
        result.scalars.withUnsafeMutableBufferPointer { x in
            let base = x.baseAddress!
            parallelRows(x.count, rowWidth: 1) { _, range in
                for index in range { base[index] = op.apply(base[index]) }
            }
        }
        return result
    }

    public func unaryBackward(_ op: UnaryOp, _ gradOutput: Tensor, input: Tensor) -> Tensor {
        precondition(gradOutput.shape == input.shape, "unaryBackward shapes differ")
        var result = gradOutput
        input.scalars.withUnsafeBufferPointer { x in
            result.scalars.withUnsafeMutableBufferPointer { g in
                let (source, target) = (x.baseAddress!, g.baseAddress!)
                parallelRows(g.count, rowWidth: 1) { _, range in
                    for index in range { target[index] *= op.derivative(source[index]) }
                }
            }
        }
        return result
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(b.count == 1 || a.shape.suffix(b.rank).elementsEqual(b.shape),
                     "\(b.shape) does not broadcast over \(a.shape)")
        var result = a
        result.scalars.withUnsafeMutableBufferPointer { x in
            b.scalars.withUnsafeBufferPointer { y in
                let (width, base, operand) = (y.count, x.baseAddress!, y.baseAddress!)
                parallelRows(x.count / width, rowWidth: width) { _, rows in
                    for row in rows {
                        let line = base + row * width
                        switch op {
                        case .add: for column in 0..<width { line[column] += operand[column] }
                        case .subtract: for column in 0..<width { line[column] -= operand[column] }
                        case .multiply: for column in 0..<width { line[column] *= operand[column] }
                        }
                    }
                }
            }
        }
        return result
    }

    public func reduceToShape(_ input: Tensor, shape: [Int]) -> Tensor {
        precondition(shape.reduce(1, *) == 1 || input.shape.suffix(shape.count).elementsEqual(shape),
                     "\(input.shape) does not reduce to \(shape)")
        let width = shape.reduce(1, *)
        let result = makeZeroArray(count: width) { sums in
            input.scalars.withUnsafeBufferPointer { x in
                sumRows(x.baseAddress!, rows: x.count / width, columns: width, into: sums)
            }
        }
        return Tensor(shape: shape, scalars: result)
    }

    public func softmax(_ input: Tensor) -> Tensor {
        let width = input.shape.last ?? 0
        var result = input
        guard width > 0 else { return result }
        result.scalars.withUnsafeMutableBufferPointer { x in
            let values = x.baseAddress!
            parallelRows(x.count / width, rowWidth: width) { _, rows in
                for row in rows {
                    let line = values + row * width
                    var largest = -Float.infinity
                    for column in 0..<width { largest = max(largest, line[column]) }
                    var sum: Float = 0
                    for column in 0..<width {
                        line[column] = Foundation.exp(line[column] - largest)
                        sum += line[column]
                    }
                    for column in 0..<width { line[column] /= sum }
                }
            }
        }
        return result
    }

    public func argmax(_ input: Tensor) -> [Int32] {
        let width = input.shape.last ?? 0
        precondition(width > 0, "argmax over an empty axis")
        var labels = [Int32](repeating: 0, count: input.count / width)
        input.scalars.withUnsafeBufferPointer { x in
            labels.withUnsafeMutableBufferPointer { out in
                let (source, target) = (x.baseAddress!, out.baseAddress!)
                parallelRows(out.count, rowWidth: width) { _, rows in
                    for row in rows {
                        let line = source + row * width
                        var best = 0
                        for column in 1..<width where line[column] > line[best] { best = column }
                        target[row] = Int32(best)
                    }
                }
            }
        }
        return labels
    }

    public func softmaxBackward(_ gradOutput: Tensor, output: Tensor) -> Tensor {
        let width = output.shape.last ?? 0
        var result = gradOutput
        output.scalars.withUnsafeBufferPointer { y in
            result.scalars.withUnsafeMutableBufferPointer { g in
                for row in stride(from: 0, to: g.count, by: width) {
                    var dot: Float = 0
                    for column in 0..<width { dot += g[row + column] * y[row + column] }
                    for column in 0..<width { g[row + column] = y[row + column] * (g[row + column] - dot) }
                }
            }
        }
        return result
    }

    /// Per-channel thresholds for `[…, C]`: a per-layer threshold repeated `C` times.
    private func channelThresholds(_ threshold: Tensor, input: Tensor) -> [Float] {
        let channels = input.shape.last ?? 1
        precondition(threshold.count == 1 || threshold.count == channels, "threshold needs 1 or \(channels) values")
        return threshold.count == 1 ? [Float](repeating: threshold.scalars[0], count: channels) : threshold.scalars
    }

    public func spikeCounts(_ input: Tensor, threshold: Tensor, maxCount: Float) -> Tensor {
        let thresholds = channelThresholds(threshold, input: input), width = thresholds.count
        var result = input
        result.scalars.withUnsafeMutableBufferPointer { x in
            thresholds.withUnsafeBufferPointer { theta in
                let base = x.baseAddress!
                parallelRows(x.count / width, rowWidth: width) { _, rows in
                    for row in rows {
                        let line = base + row * width
                        for c in 0..<width { line[c] = min(max(roundedToNearestEven(line[c] / theta[c]), 0), maxCount) }
                    }
                }
            }
        }
        return result
    }

    public func spikeBackward(_ gradOutput: Tensor, input: Tensor, threshold: Tensor,
                              maxCount: Float) -> (input: Tensor, threshold: Tensor) {
        let thresholds = channelThresholds(threshold, input: input), width = thresholds.count
        var partials = [Float](repeating: 0, count: threadCount * width)
        var result = gradOutput
        input.scalars.withUnsafeBufferPointer { x in
            result.scalars.withUnsafeMutableBufferPointer { g in
                thresholds.withUnsafeBufferPointer { theta in
                    partials.withUnsafeMutableBufferPointer { partial in
                        let (source, target, sums) = (x.baseAddress!, g.baseAddress!, partial.baseAddress!)
                        parallelRows(x.count / width, rowWidth: width) { worker, rows in
                            let sum = sums + worker * width
                            for row in rows {
                                let values = source + row * width, gradients = target + row * width
                                for c in 0..<width {
                                    let u = values[c] / theta[c]
                                    let inside = u >= 0 && u <= maxCount
                                    sum[c] += inside ? gradients[c] * (roundedToNearestEven(u) - u) : (u > maxCount ? gradients[c] * maxCount : 0)
                                    gradients[c] = inside ? gradients[c] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
        var perChannel = [Float](repeating: 0, count: width)
        for worker in 0..<threadCount {
            for c in 0..<width { perChannel[c] += partials[worker * width + c] }
        }
        let gradThreshold = threshold.count == 1 ? [perChannel.reduce(0, +)] : perChannel
        return (result, Tensor(shape: threshold.shape, scalars: gradThreshold))
    }

    public func adaptiveSpikeCounts(_ input: Tensor, k: Float, maxCount: Float) -> (counts: Tensor, thresholds: Tensor) {
        let width = input.shape.last ?? 1
        var counts = input
        var thresholds = [Float](repeating: 0, count: input.count / max(width, 1))
        counts.scalars.withUnsafeMutableBufferPointer { x in
            for token in thresholds.indices {
                let row = token * width
                var sum: Float = 0
                for column in 0..<width { sum += abs(x[row + column]) }
                let theta = sum / Float(width) / k
                thresholds[token] = theta
                for column in 0..<width {
                    x[row + column] = theta > 0
                        ? min(max(roundedToNearestEven(x[row + column] / theta), -maxCount), maxCount) : 0
                }
            }
        }
        return (counts, Tensor(shape: Array(input.shape.dropLast()), scalars: thresholds))
    }

    public func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        let shape = ShapeArithmetic.concatenated(parts.map(\.shape), axis: axis)
        let (outer, inner) = ShapeArithmetic.split(shape, axis: axis)
        let rowWidth = shape[axis] * inner
        let result = makeArray(count: shape.reduce(1, *)) { output in
            var offset = 0
            for part in parts {
                let width = part.shape[axis] * inner
                part.scalars.withUnsafeBufferPointer { source in
                    let base = source.baseAddress!
                    parallelRows(outer, rowWidth: width) { _, rows in
                        for row in rows {
                            let from = base + row * width, to = output + row * rowWidth + offset
                            for index in 0..<width { to[index] = from[index] }
                        }
                    }
                }
                offset += width
            }
        }
        return Tensor(shape: shape, scalars: result)
    }

    public func slice(_ input: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        let (outer, inner) = ShapeArithmetic.split(input.shape, axis: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= input.shape[axis], "slice \(range) out of \(input.shape)")
        var shape = input.shape
        shape[axis] = range.count
        let width = range.count * inner, rowWidth = input.shape[axis] * inner
        let result = makeArray(count: outer * width) { output in
            input.scalars.withUnsafeBufferPointer { source in
                for row in 0..<outer {
                    (output + row * width).update(from: source.baseAddress! + row * rowWidth + range.lowerBound * inner, count: width)
                }
            }
        }
        return Tensor(shape: shape, scalars: result)
    }

    public func embedding(_ table: Tensor, ids: [Int32]) -> Tensor {
        precondition(table.rank == 2, "embedding table must be [vocabulary, features]")
        let width = table.shape[1]
        let result = makeArray(count: ids.count * width) { output in
            table.scalars.withUnsafeBufferPointer { rows in
                for (index, id) in ids.enumerated() {
                    precondition(id >= 0 && Int(id) < table.shape[0], "token id \(id) outside the vocabulary")
                    (output + index * width).update(from: rows.baseAddress! + Int(id) * width, count: width)
                }
            }
        }
        return Tensor(shape: [ids.count, width], scalars: result)
    }

    public func embeddingBackward(_ gradOutput: Tensor, ids: [Int32], vocabulary: Int) -> Tensor {
        let width = gradOutput.shape.last ?? 0
        let result = makeZeroArray(count: vocabulary * width) { table in
            gradOutput.scalars.withUnsafeBufferPointer { g in
                for (index, id) in ids.enumerated() {
                    let row = table + Int(id) * width
                    for column in 0..<width { row[column] += g[index * width + column] }
                }
            }
        }
        return Tensor(shape: [vocabulary, width], scalars: result)
    }
}
