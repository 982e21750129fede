import NeuroImage

/// How two volumes agree in world coordinates: every voxel centre of `ours` must land on a voxel centre
/// of `reference` (dcm2niix may order axes differently), and the values there are compared.
struct WorldComparison {
    /// Largest distance (in reference voxels) from a mapped voxel centre to the nearest reference centre.
    var maxIndexError = 0.0
    /// Voxels of `ours` that fall outside the reference grid.
    var outside = 0
    /// Largest |ours − reference| of the scaled values.
    var maxValueDifference = 0.0
    /// Least-squares map reference ≈ slope · ours + intercept, and its largest residual.
    var slope = 1.0
    var intercept = 0.0
    var maxResidual = 0.0
    var referenceRange = 0.0

    init(_ ours: Volume, _ reference: Volume) {
        precondition(ours.shape.count == reference.shape.count, "voxel counts differ: \(ours.shape) vs \(reference.shape)")
        guard let toReference = reference.affine.inverse else { preconditionFailure("singular reference affine") }
        var sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumXY = 0.0, n = 0.0
        var pairs: [(Double, Double)] = []
        pairs.reserveCapacity(ours.shape.count)
        var low = Double.infinity, high = -Double.infinity
        for volume in 0..<ours.shape.volumes {
            for k in 0..<ours.shape.k {
                for j in 0..<ours.shape.j {
                    for i in 0..<ours.shape.i {
                        let world = ours.affine.world(SIMD3(Double(i), Double(j), Double(k)))
                        let index = toReference.world(world)
                        let nearest = index.rounded(.toNearestOrEven)
                        let offset = index - nearest
                        maxIndexError = max(maxIndexError, max(abs(offset.x), abs(offset.y), abs(offset.z)))
                        let (ri, rj, rk) = (Int(nearest.x), Int(nearest.y), Int(nearest.z))
                        guard (0..<reference.shape.i).contains(ri), (0..<reference.shape.j).contains(rj),
                              (0..<reference.shape.k).contains(rk) else {
                            outside += 1
                            continue
                        }
                        let x = ours.value(i: i, j: j, k: k, volume: volume)
                        let y = reference.value(i: ri, j: rj, k: rk, volume: volume)
                        maxValueDifference = max(maxValueDifference, abs(x - y))
                        low = min(low, y)
                        high = max(high, y)
                        sumX += x; sumY += y; sumXX += x * x; sumXY += x * y; n += 1
                        pairs.append((x, y))
                    }
                }
            }
        }
        referenceRange = high - low
        let denominator = n * sumXX - sumX * sumX
        if denominator != 0 {
            slope = (n * sumXY - sumX * sumY) / denominator
            intercept = (sumY - slope * sumX) / n
        }
        maxResidual = pairs.reduce(0) { max($0, abs(slope * $1.0 + intercept - $1.1)) }
    }

    var sameGrid: Bool { maxIndexError <= 0.01 && outside == 0 }
    var identicalValues: Bool { maxValueDifference <= 1e-3 }
    var valuesAgreeUpToLinearMap: Bool { maxResidual <= 1e-4 * max(referenceRange, 1) }
}
