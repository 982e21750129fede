extension Volume {
    /// The same voxels reordered so that i, j, k run as close as possible to R, A, S: a permutation and
    /// flips of the axes only, no interpolation. Every voxel keeps its value and its world position (the
    /// affine is permuted and its origin moved to match), so for an axis-aligned input the result is exactly
    /// RAS (orientation code "RAS"); an oblique input keeps its obliquity.
    public func reorientedToRAS() -> Volume {
        let columns = [affine.linear.columns.0, affine.linear.columns.1, affine.linear.columns.2]
        // The voxel axis feeding each world axis: the permutation with the largest total alignment.
        let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let order = permutations.max { a, b in
            (0..<3).map { abs(columns[a[$0]][$0]) }.reduce(0, +) < (0..<3).map { abs(columns[b[$0]][$0]) }.reduce(0, +)
        } ?? [0, 1, 2]
        let flipped = (0..<3).map { columns[order[$0]][$0] < 0 }
        let sizes = [shape.i, shape.j, shape.k]
        let newSizes = order.map { sizes[$0] }
        let sourceStrides = [1, shape.i, shape.i * shape.j]

        // Source voxel of new voxel 0 along each new axis, and the source index step per new voxel.
        var start = 0
        var steps = [Int](repeating: 0, count: 3)
        var newColumns = [SIMD3<Double>](repeating: .zero, count: 3)
        var origin = SIMD3<Double>.zero
        for axis in 0..<3 {
            let source = order[axis]
            let stride = sourceStrides[source]
            if flipped[axis] {
                start += (sizes[source] - 1) * stride
                steps[axis] = -stride
                origin[source] = Double(sizes[source] - 1)
                newColumns[axis] = -columns[source]
            } else {
                steps[axis] = stride
                newColumns[axis] = columns[source]
            }
        }
        let newShape = VolumeShape(newSizes[0], newSizes[1], newSizes[2], volumes: shape.volumes)
        var sources = [Int32](repeating: 0, count: newShape.voxelsPerVolume)
        var n = 0
        for k in 0..<newSizes[2] {
            for j in 0..<newSizes[1] {
                var source = start + j * steps[1] + k * steps[2]
                for _ in 0..<newSizes[0] {
                    sources[n] = Int32(source)
                    source += steps[0]
                    n += 1
                }
            }
        }
        let newAffine = Affine(linear: Matrix3(columns: newColumns[0], newColumns[1], newColumns[2]),
                               translation: affine.world(origin))
        return Volume(shape: newShape, affine: newAffine,
                      voxels: voxels.gathered(sources, volumes: shape.volumes, sourceVoxelsPerVolume: shape.voxelsPerVolume),
                      scale: scale, repetitionTimeS: repetitionTimeS)
    }
}
