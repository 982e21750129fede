import Tensor

/// Operation codes of `elementwise.comp` (its specialisation constant 1).
private enum PointwiseCode: UInt32 {
    case relu = 0, clippedReLU, silu, sigmoid, logSigmoid, exp, negate, scale, square
    case add = 10, subtract, multiply
    case spikeCounts = 20
}

/// Operation codes of `rows.comp` (its specialisation constant 1).
private enum RowCode: UInt32 {
    case rmsNorm = 0, softmax, argmax, adaptiveSpikes
}

extension VulkanBackend {
    /// One elementwise pass: `operand` (or `input` itself) is read cyclically with its own length.
    private func pointwise(_ code: PointwiseCode, _ input: Tensor, operand: Tensor? = nil, parameter: Float = 0) -> Tensor {
        let result = run { recorder in
            let x = try recorder.upload(input)
            let y = try operand.map { try recorder.upload($0) } ?? x
            let z = try recorder.array(count: input.count)
            recorder.dispatch(.elementwise, constants: [UInt32(Self.workgroupSize), code.rawValue], arrays: [x, y, z],
                              push: [input.count, max(operand?.count ?? 1, 1), parameter], groups: groups(count: input.count))
            recorder.download(z)
        }
        return Tensor(shape: input.shape, scalars: result[0])
    }

    public func unary(_ op: UnaryOp, _ input: Tensor) -> Tensor {
        switch op {
        case .relu: return pointwise(.relu, input)
        case .clippedReLU(let ceiling): return pointwise(.clippedReLU, input, parameter: ceiling)
        case .silu: return pointwise(.silu, input)
        case .sigmoid: return pointwise(.sigmoid, input)
        case .logSigmoid: return pointwise(.logSigmoid, input)
        case .exp: return pointwise(.exp, input)
        case .negate: return pointwise(.negate, input)
        case .scale(let factor): return pointwise(.scale, input, parameter: factor)
        case .square: return pointwise(.square, input)
        }
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(b.count == 1 || a.shape.suffix(b.rank).elementsEqual(b.shape),
                     "\(b.shape) does not broadcast over \(a.shape)")
        switch op {
        case .add: return pointwise(.add, a, operand: b)
        case .subtract: return pointwise(.subtract, a, operand: b)
        case .multiply: return pointwise(.multiply, a, operand: b)
        }
    }

    public func spikeCounts(_ input: Tensor, threshold: Tensor, maxCount: Float) -> Tensor {
        precondition(threshold.count == 1 || threshold.count == input.shape.last,
                     "threshold needs 1 or \(input.shape.last ?? 0) values")
        return pointwise(.spikeCounts, input, operand: threshold, parameter: maxCount)
    }

    /// One pass of `rows.comp` over the rows of `input` (`[rows, width]` in effect); returns the main output
    /// (`outputCount` values) and the per-row values.
    private func rowPass(_ code: RowCode, _ input: Tensor, vector: Tensor? = nil, outputCount: Int,
                         parameter: Float = 0, maxCount: Float = 0) -> (output: [Float], rowValues: [Float]) {
        let width = input.shape.last ?? 0
        let rows = width == 0 ? 0 : input.count / width
        let result = run { recorder in
            let x = try recorder.upload(input)
            let output = try recorder.array(count: outputCount), rowValues = try recorder.array(count: rows)
            recorder.dispatch(.rows, constants: [UInt32(Self.workgroupSize), code.rawValue],
                              arrays: [x, try vector.map { try recorder.upload($0) } ?? x, output, rowValues],
                              push: [rows, width, parameter, maxCount], groups: groups(count: rows))
            recorder.download(output)
            recorder.download(rowValues)
        }
        return (result[0], result[1])
    }

    public func rmsNorm(_ input: Tensor, gamma: Tensor, epsilon: Float) -> Tensor {
        precondition(gamma.shape == [input.shape.last ?? 0], "RMSNorm γ must be [\(input.shape.last ?? 0)]")
        return Tensor(shape: input.shape, scalars: rowPass(.rmsNorm, input, vector: gamma, outputCount: input.count,
                                                           parameter: epsilon).output)
    }

    public func softmax(_ input: Tensor) -> Tensor {
        Tensor(shape: input.shape, scalars: rowPass(.softmax, input, outputCount: input.count).output)
    }

    /// Index of the largest value along the last axis (the first on ties), e.g. the label of each voxel
    /// from `[N, D, H, W, classes]` scores.
    public func argmax(_ input: Tensor) -> [Int32] {
        let rows = input.count / max(input.shape.last ?? 1, 1)
        return rowPass(.argmax, input, outputCount: rows).output.map { Int32($0) }
    }

    public func adaptiveSpikeCounts(_ input: Tensor, k: Float, maxCount: Float) -> (counts: Tensor, thresholds: Tensor) {
        let result = rowPass(.adaptiveSpikes, input, outputCount: input.count, parameter: k, maxCount: maxCount)
        return (Tensor(shape: input.shape, scalars: result.output),
                Tensor(shape: Array(input.shape.dropLast()), scalars: result.rowValues))
    }

    public func groupNorm(_ input: Tensor, groups groupCount: Int, gamma: Tensor, beta: Tensor, epsilon: Float) -> Tensor {
        precondition(input.rank >= 2, "group norm needs [N, …, C], got \(input.shape)")
        let batches = input.shape[0], channels = input.shape[input.rank - 1]
        precondition(groupCount > 0 && channels % groupCount == 0, "\(channels) channels do not split into \(groupCount) groups")
        precondition(gamma.shape == [channels] && beta.shape == [channels], "group norm γ and β must be [\(channels)]")
        let positions = input.count / max(batches * channels, 1)
        let result = run { recorder in
            let x = try recorder.upload(input), g = try recorder.upload(gamma), b = try recorder.upload(beta)
            let statistics = try recorder.array(count: 2 * batches * groupCount), y = try recorder.array(count: input.count)
            let push: [any PushConstant] = [positions, channels, groupCount, epsilon, input.count]
            recorder.dispatch(.groupNorm, constants: [UInt32(reductionWorkgroupSize), 1], arrays: [x, g, b, statistics, y],
                              push: push, groups: (batches * groupCount, 1, 1))
            recorder.dispatch(.groupNorm, constants: [UInt32(Self.workgroupSize), 0], arrays: [x, g, b, statistics, y],
                              push: push, groups: groups(count: input.count))
            recorder.download(y)
        }
        return Tensor(shape: input.shape, scalars: result[0])
    }
}
