/// A dense fp32 tensor in row-major order: the last axis is contiguous.
///
/// Volumes are NDHWC (batch, depth, height, width, channels). Channels-last makes a 3-D convolution one
/// GEMM of (voxels × kD·kH·kW·Cin) by (kD·kH·kW·Cin × Cout) with no transposes, writes its result
/// straight into the NDHWC output, and keeps each voxel's channel vector contiguous for group norm,
/// spike thresholds and softmax over classes. Convolution weights are `[kD, kH, kW, Cin, Cout]`.
/// Sequences for the language model are `[tokens, features]`.
public struct Tensor: Sendable, Equatable {
    /// Extent of each axis.
    public private(set) var shape: [Int]
    /// The values, `shape.reduce(1, *)` of them.
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    public init(zeros shape: [Int]) {
        self.init(repeating: 0, shape: shape)
    }

    /// A rank-0 tensor holding one value.
    public init(scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor with \(count) values")
        return scalars[0]
    }

    /// The same values under another shape with the same number of elements.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Largest absolute difference to `other` (same shape).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        var result: Float = 0
        for index in scalars.indices { result = max(result, abs(scalars[index] - other.scalars[index])) }
        return result
    }

    /// Values drawn from N(0, std²).
    public static func randomNormal(shape: [Int], standardDeviation: Float = 1, using generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in generator.nextNormal() * standardDeviation })
    }

    /// Values drawn uniformly from `range`.
    public static func randomUniform(shape: [Int], in range: ClosedRange<Float>, using generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &generator) })
    }
}

/// Shape arithmetic shared by the backends' concat and slice.
public enum ShapeArithmetic {
    /// Extent before `axis` (outer) and after it (inner), for a row-major shape.
    public static func split(_ shape: [Int], axis: Int) -> (outer: Int, inner: Int) {
        precondition(axis >= 0 && axis < shape.count, "axis \(axis) out of range for \(shape)")
        return (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }

    /// The shape of `parts` joined along `axis`; every other extent must agree (programmer error otherwise).
    public static func concatenated(_ parts: [[Int]], axis: Int) -> [Int] {
        precondition(!parts.isEmpty, "concat of nothing")
        var shape = parts[0]
        _ = split(shape, axis: axis)
        for part in parts {
            var expected = shape
            expected[axis] = part[axis]
            precondition(part == expected, "concat along \(axis): \(part) does not fit \(shape)")
        }
        shape[axis] = parts.map { $0[axis] }.reduce(0, +)
        return shape
    }
}
