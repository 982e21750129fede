import Foundation
import NeuroImage

/// A smooth random field over a `side³` cube made from `nodes³` coarse values spread evenly over it (the
/// first and last node on the first and last voxel) with cubic B-spline weights. It is kept upsampled
/// along j and k only (`nodes × side × side`, node index fastest); `value(i:row:)` finishes along i when
/// a voxel is visited, so the full `side³` field is never stored.
struct SmoothField {
    let nodes: Int
    let side: Int
    private let partial: [Float]
    /// Four (node, weight) taps per i.
    private let tapNode: [Int]
    private let tapWeight: [Float]

    /// `coarse` holds `nodes³` values, index = a + nodes·(b + nodes·c) for node (a, b, c) along (i, j, k).
    init(coarse: [Float], nodes: Int, side: Int) {
        precondition(coarse.count == nodes * nodes * nodes && nodes >= 2, "a coarse field needs nodes³ ≥ 8 values")
        self.nodes = nodes
        self.side = side
        var tapNode: [Int] = [], tapWeight: [Float] = []
        for x in 0..<side {
            let t = side == 1 ? 0 : Double(x) * Double(nodes - 1) / Double(side - 1)
            let base = Int(t.rounded(.down))
            let f = Float(t - Double(base))
            tapWeight += [(1 - f) * (1 - f) * (1 - f) / 6, (3 * f * f * f - 6 * f * f + 4) / 6,
                          (-3 * f * f * f + 3 * f * f + 3 * f + 1) / 6, f * f * f / 6]
            tapNode += (0..<4).map { min(max(base - 1 + $0, 0), nodes - 1) }
        }
        self.tapNode = tapNode
        self.tapWeight = tapWeight
        let alongJ = Self.resize(coarse, dims: [nodes, nodes, nodes], axis: 1, side: side, tapNode: tapNode, tapWeight: tapWeight)
        partial = Self.resize(alongJ, dims: [nodes, side, nodes], axis: 2, side: side, tapNode: tapNode, tapWeight: tapWeight)
    }

    /// Offset of row (j, k) for `value(i:row:)`.
    @inline(__always) func row(j: Int, k: Int) -> Int { nodes * (j + side * k) }

    @inline(__always) func value(i: Int, row: Int) -> Float {
        let tap = 4 * i
        return tapWeight[tap] * partial[row + tapNode[tap]] + tapWeight[tap + 1] * partial[row + tapNode[tap + 1]]
            + tapWeight[tap + 2] * partial[row + tapNode[tap + 2]] + tapWeight[tap + 3] * partial[row + tapNode[tap + 3]]
    }

    /// Replaces the length along `axis` of a `dims[0]×dims[1]×dims[2]` array by `side`, each new element a
    /// weighted sum of old ones along that axis.
    private static func resize(_ input: [Float], dims: [Int], axis: Int, side: Int, tapNode: [Int], tapWeight: [Float]) -> [Float] {
        let before = dims[..<axis].reduce(1, *), after = dims[(axis + 1)...].reduce(1, *)
        let length = dims[axis]
        var out = [Float](repeating: 0, count: before * side * after)
        for a in 0..<after {
            for y in 0..<side {
                let outBase = before * (y + side * a)
                for tap in (4 * y)..<(4 * y + 4) {
                    let inBase = before * (tapNode[tap] + length * a)
                    for b in 0..<before { out[outBase + b] += tapWeight[tap] * input[inBase + b] }
                }
            }
        }
        return out
    }
}

/// Separable filters on cubes of `side³` floats laid out with i fastest (index = i + side·(j + side·k)).
///
/// Each filter runs along one axis on planes: the plane holds `side` lines along the axis, each a row of
/// `side` values of the next axis, so the arithmetic runs along contiguous rows.
enum CubeFilters {
    /// Gaussian smoothing along `axis` (0 = i, 1 = j, 2 = k), edges extended with the edge value.
    static func blur(_ cube: inout [Float], side: Int, axis: Int, kernel: [Float]) {
        let radius = kernel.count / 2
        forEachPlane(&cube, side: side, axis: axis) { plane, out in
            for x in 0..<side {
                let target = x * side
                for (t, weight) in kernel.enumerated() {
                    let source = min(max(x + t - radius, 0), side - 1) * side
                    for w in 0..<side { out[target + w] += weight * plane[source + w] }
                }
            }
        }
    }

    /// Normalised Gaussian weights reaching 3 sigma (voxels) each side.
    static func gaussianKernel(sigma: Double) -> [Float] {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        return weights.map { Float($0 / total) }
    }

    /// Along `axis`, keeps only the samples a coarser acquisition would have taken (every `ratio` voxels,
    /// read by linear interpolation) and fills the voxels between them by linear interpolation.
    static func decimate(_ cube: inout [Float], side: Int, axis: Int, ratio: Double) {
        let last = side - 1
        let nodeCount = Int(Double(last) / ratio) + 1
        let nodeRead = (0..<nodeCount).map { Self.linear(Double($0) * ratio, last: last) }
        let voxelRead = (0..<side).map { Self.linear(Double($0) / ratio, last: nodeCount - 1) }
        forEachPlane(&cube, side: side, axis: axis) { plane, out in
            var nodes = [Float](repeating: 0, count: nodeCount * side)
            for (m, read) in nodeRead.enumerated() {
                for w in 0..<side {
                    let a = plane[read.base * side + w]
                    nodes[m * side + w] = a + (plane[read.next * side + w] - a) * read.fraction
                }
            }
            for (x, read) in voxelRead.enumerated() {
                for w in 0..<side {
                    let a = nodes[read.base * side + w]
                    out[x * side + w] = a + (nodes[read.next * side + w] - a) * read.fraction
                }
            }
        }
    }

    /// The two neighbours and the weight of the second for a linear read at `position` in `0…last`.
    private static func linear(_ position: Double, last: Int) -> (base: Int, next: Int, fraction: Float) {
        let base = min(Int(position), last)
        return (base, min(base + 1, last), Float(position - Double(base)))
    }

    /// Calls `body(plane, out)` for every plane across `axis` in parallel; `plane` holds the values as
    /// `plane[x · side + w]` (x along `axis`, w along the next axis), `out` (zeroed) receives the result in
    /// the same layout, which is written back.
    private static func forEachPlane(_ cube: inout [Float], side: Int, axis: Int,
                                     _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) {
        let strides = [1, side, side * side]
        let alongX = strides[axis], alongW = strides[axis == 0 ? 1 : 0], across = strides[axis == 2 ? 1 : 2]
        cube.withUnsafeMutableBufferPointer { buffer in
            let data = buffer
            Parallel.forEach(side) { o in
                let plane = UnsafeMutableBufferPointer<Float>.allocate(capacity: side * side)
                let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: side * side)
                defer {
                    plane.deallocate()
                    out.deallocate()
                }
                plane.initialize(repeating: 0)
                out.initialize(repeating: 0)
                for x in 0..<side {
                    for w in 0..<side { plane[x * side + w] = data[x * alongX + w * alongW + o * across] }
                }
                body(plane, out)
                for x in 0..<side {
                    for w in 0..<side { data[x * alongX + w * alongW + o * across] = out[x * side + w] }
                }
            }
        }
    }
}
