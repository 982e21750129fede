import NeuroImage

/// Class posteriors on a coarse grid, interpolated trilinearly onto a fine grid and reduced to the most
/// probable class per fine voxel, without ever holding the fine posteriors (33 floats × millions of voxels).
enum PosteriorUpsampling {
    /// `posteriors` is `[k][j][i][class]` on `coarse`. Returns class indices on `fine` (i fastest) and the
    /// mean winning probability. Fine voxels outside the coarse box take the nearest coarse voxel's values.
    ///
    /// With a refinement and the fine image (i fastest), each class's intensity model is first fitted on
    /// that image, and the argmax weighs the interpolated posteriors by it (`IntensityRefinement`).
    static func argmax(_ posteriors: [Float], classes: Int, coarse: VoxelGrid, fine: VoxelGrid,
                       refinement: (IntensityRefinement, image: [Float])? = nil) -> ([UInt8], Double) {
        let interpolator = Interpolator(coarse: coarse, fine: fine, classes: classes)
        return posteriors.withUnsafeBufferPointer { p in
            let models = refinement.map { refinement, image in
                precondition(image.count == fine.shape.voxelsPerVolume, "one intensity per fine voxel")
                // Moments are statistics: every other row of every other slice is plenty and 4× cheaper.
                let likelihoods = refinement.fit(Parallel.map((fine.shape.k + 1) / 2) { half in
                    var moments = IntensityRefinement.Moments(classes: classes)
                    interpolator.forEachVoxel(inSlice: 2 * half, rowStride: 2, posteriors: p) { index, mixed in
                        moments.add(intensity: image[index], posteriors: mixed)
                    }
                    return moments
                }.reduce(IntensityRefinement.Moments(classes: classes)) { $0.merged($1) })
                return (likelihoods, image)
            }
            var confidences = [Double](repeating: 0, count: fine.shape.k)
            let labels = confidences.withUnsafeMutableBufferPointer { confidence in
                Parallel.makeArray(count: fine.shape.voxelsPerVolume, repeating: UInt8(0), chunks: fine.shape.k) { k, out in
                    var total = 0.0
                    interpolator.forEachVoxel(inSlice: k, posteriors: p) { index, mixed in
                        var best = 0
                        if let (likelihoods, image) = models {
                            best = likelihoods.mostProbable(posteriors: mixed, intensity: image[index])
                        } else {
                            for c in 1..<classes where mixed[c] > mixed[best] { best = c }
                        }
                        out[index] = UInt8(best)
                        total += Double(mixed[best])
                    }
                    confidence[k] = total
                }
            }
            return (labels, confidences.reduce(0, +) / Double(max(fine.shape.voxelsPerVolume, 1)))
        }
    }
}

/// Trilinear interpolation of `[k][j][i][class]` coarse posteriors at the fine voxels of one k-slice.
private struct Interpolator {
    let map: Affine
    let fine: VolumeShape
    let coarse: VolumeShape
    let classes: Int

    init(coarse: VoxelGrid, fine: VoxelGrid, classes: Int) {
        guard let map = try? fine.voxelMap(into: coarse) else { preconditionFailure("conformed grids are never singular") }
        self.map = map
        self.fine = fine.shape
        self.coarse = coarse.shape
        self.classes = classes
    }

    /// Calls `body(fine index, posteriors)` for every voxel of every `rowStride`-th row of slice `k`; the
    /// buffer is reused between calls.
    func forEachVoxel(inSlice k: Int, rowStride: Int = 1, posteriors p: UnsafeBufferPointer<Float>,
                      _ body: (Int, UnsafeMutableBufferPointer<Float>) -> Void) {
        let (ni, nj, nk) = (coarse.i, coarse.j, coarse.k)
        let mixed = UnsafeMutableBufferPointer<Float>.allocate(capacity: classes)
        defer { mixed.deallocate() }
        for j in stride(from: 0, to: fine.j, by: rowStride) {
            let row = map.world(SIMD3(0, Double(j), Double(k)))
            for i in 0..<fine.i {
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
                body(i + fine.i * (j + fine.j * k), mixed)
            }
        }
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
