import NeuroImage

/// Class posteriors on a coarse grid, interpolated trilinearly onto a fine grid and reduced to the most
/// probable class per fine voxel, without ever holding the fine posteriors (33 floats × millions of voxels).
enum PosteriorUpsampling {
    /// `posteriors` is `[k][j][i][class]` on `coarse`. Returns class indices on `fine` (i fastest) and the
    /// mean winning probability. Fine voxels outside the coarse box take the nearest coarse voxel's values.
    static func argmax(_ posteriors: [Float], classes: Int, coarse: VoxelGrid, fine: VoxelGrid) -> ([UInt8], Double) {
        guard let map = try? fine.voxelMap(into: coarse) else { preconditionFailure("conformed grids are never singular") }
        let (ni, nj, nk) = (coarse.shape.i, coarse.shape.j, coarse.shape.k)
        var confidences = [Double](repeating: 0, count: fine.shape.k)
        let labels = posteriors.withUnsafeBufferPointer { p in
            confidences.withUnsafeMutableBufferPointer { confidence in
                Parallel.makeArray(count: fine.shape.voxelsPerVolume, repeating: UInt8(0), chunks: fine.shape.k) { k, out in
                    var mixed = [Float](repeating: 0, count: classes)
                    var total = 0.0
                    for j in 0..<fine.shape.j {
                        let row = map.world(SIMD3(0, Double(j), Double(k)))
                        for i in 0..<fine.shape.i {
                            let position = row + map.linear.columns.0 * Double(i)
                            let x = Corner(position.x, ni), y = Corner(position.y, nj), z = Corner(position.z, nk)
                            for c in 0..<classes { mixed[c] = 0 }
                            for corner in 0..<8 {
                                let (cx, wx) = corner & 1 == 0 ? (x.low, 1 - x.weight) : (x.high, x.weight)
                                let (cy, wy) = corner & 2 == 0 ? (y.low, 1 - y.weight) : (y.high, y.weight)
                                let (cz, wz) = corner & 4 == 0 ? (z.low, 1 - z.weight) : (z.high, z.weight)
                                let weight = wx * wy * wz
                                guard weight > 0 else { continue }
                                let base = (cx + ni * (cy + nj * cz)) * classes
                                for c in 0..<classes { mixed[c] += weight * p[base + c] }
                            }
                            var best = 0
                            for c in 1..<classes where mixed[c] > mixed[best] { best = c }
                            out[i + fine.shape.i * (j + fine.shape.j * k)] = UInt8(best)
                            total += Double(mixed[best])
                        }
                    }
                    confidence[k] = total
                }
            }
        }
        return (labels, confidences.reduce(0, +) / Double(max(fine.shape.voxelsPerVolume, 1)))
    }
}

/// The two neighbouring coarse indices of a continuous position (clamped to the grid) and the weight of the upper one.
private struct Corner {
    let low: Int
    let high: Int
    let weight: Float

    init(_ position: Double, _ count: Int) {
        let clamped = min(max(position, 0), Double(count - 1))
        low = Int(clamped.rounded(.down))
        high = min(low + 1, count - 1)
        weight = Float(clamped - Double(low))
    }
}
