import Foundation
import NeuroImage

/// Filters on cubes of `side³` floats laid out with i fastest (index = i + side·(j + side·k)).
enum CubeFilters {
    /// A smooth field on `side³` voxels from `nodes³` coarse values spread evenly over the cube (the first
    /// and last node on the first and last voxel), through cubic B-spline weights along each axis.
    static func upsample(_ coarse: [Float], nodes: Int, side: Int) -> [Float] {
        precondition(coarse.count == nodes * nodes * nodes && nodes >= 2, "a coarse field needs nodes³ ≥ 8 values")
        let taps = (0..<side).map { x -> [(index: Int, weight: Float)] in
            let t = side == 1 ? 0 : Double(x) * Double(nodes - 1) / Double(side - 1)
            let base = Int(t.rounded(.down))
            let f = Float(t - Double(base))
            let weights = [(1 - f) * (1 - f) * (1 - f) / 6, (3 * f * f * f - 6 * f * f + 4) / 6,
                           (-3 * f * f * f + 3 * f * f + 3 * f + 1) / 6, f * f * f / 6]
            return (0..<4).map { (min(max(base - 1 + $0, 0), nodes - 1), weights[$0]) }
        }
        var field = coarse
        var dims = [nodes, nodes, nodes]
        for axis in 0..<3 {
            field = resize(field, dims: dims, axis: axis, taps: taps)
            dims[axis] = side
        }
        return field
    }

    /// Replaces the length along `axis` of a `dims[0]×dims[1]×dims[2]` array by `taps.count`, each new
    /// element a weighted sum of old ones along that axis.
    private static func resize(_ input: [Float], dims: [Int], axis: Int, taps: [[(index: Int, weight: Float)]]) -> [Float] {
        let before = dims[..<axis].reduce(1, *), after = dims[(axis + 1)...].reduce(1, *)
        let length = dims[axis], side = taps.count
        return input.withUnsafeBufferPointer { input in
            Parallel.makeArray(count: before * side * after, repeating: Float(0), chunks: side * after) { chunk, out in
                let (a, y) = chunk.quotientAndRemainder(dividingBy: side)
                let outBase = before * (y + side * a)
                for tap in taps[y] {
                    let inBase = before * (tap.index + length * a)
                    for b in 0..<before { out[outBase + b] += tap.weight * input[inBase + b] }
                }
            }
        }
    }

    /// Runs `transform` on every line of the cube along `axis` (0 = i, 1 = j, 2 = k), in parallel.
    static func forEachLine(_ cube: inout [Float], side: Int, axis: Int, _ transform: (inout [Float]) -> Void) {
        let strides = [1, side, side * side]
        let step = strides[axis]
        let (outerStride, innerStride) = axis == 2 ? (strides[1], strides[0]) : (strides[2], strides[1 - axis])
        cube.withUnsafeMutableBufferPointer { buffer in
            let data = buffer
            Parallel.forEach(side) { outer in
                var line = [Float](repeating: 0, count: side)
                for inner in 0..<side {
                    let base = outer * outerStride + inner * innerStride
                    for x in 0..<side { line[x] = data[base + x * step] }
                    transform(&line)
                    for x in 0..<side { data[base + x * step] = line[x] }
                }
            }
        }
    }

    /// Gaussian smoothing of one line, `sigma` in voxels, edges extended with the edge value.
    static func blur(_ line: inout [Float], kernel: [Float]) {
        let radius = kernel.count / 2
        let last = line.count - 1
        let source = line
        for x in 0...last {
            var sum: Float = 0
            for (t, weight) in kernel.enumerated() { sum += weight * source[min(max(x + t - radius, 0), last)] }
            line[x] = sum
        }
    }

    /// Normalised Gaussian weights reaching 3 sigma (voxels) each side.
    static func gaussianKernel(sigma: Double) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        return weights.map { Float($0 / total) }
    }

    /// Keeps only the samples a coarser acquisition would have taken (every `ratio` voxels, read by linear
    /// interpolation) and fills the voxels between them by linear interpolation.
    static func decimate(_ line: inout [Float], ratio: Double) {
        let last = line.count - 1
        let source = line
        func read(_ position: Double) -> Float {
            let base = min(Int(position), last)
            let f = Float(position - Double(base))
            return base < last ? source[base] + (source[base + 1] - source[base]) * f : source[last]
        }
        let nodes = (0...Int(Double(last) / ratio)).map { read(Double($0) * ratio) }
        for x in 0...last {
            let t = Double(x) / ratio
            let base = min(Int(t), nodes.count - 1)
            let f = Float(t - Double(base))
            line[x] = base < nodes.count - 1 ? nodes[base] + (nodes[base + 1] - nodes[base]) * f : nodes[base]
        }
    }
}
