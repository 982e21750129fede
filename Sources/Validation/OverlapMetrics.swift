import NeuroImage

/// How one structure was scored.
public enum ScoreStatus: String, Sendable, Codable {
    case scored
    /// Absent from both reference and prediction: left out of the means and counted.
    case bothEmpty = "both_empty"
    /// Present in the reference only: Dice 0, distances undefined; a failure.
    case missingInPrediction = "missing_in_prediction"
    /// Present in the prediction only: Dice 0, distances undefined; a failure.
    case missingInReference = "missing_in_reference"

    public var isFailure: Bool { self == .missingInPrediction || self == .missingInReference }
}

/// Agreement of one structure between a reference and a predicted label map.
///
/// Surfaces are the mask voxels with at least one face neighbour (6-connectivity) outside the mask or
/// outside the grid. Distances run between voxel centres of the two surfaces, in mm with the grid's
/// spacing. HD95 is the larger of the two directed 95th percentiles (linear interpolation between order
/// statistics); ASSD is the mean of all directed surface distances of both directions.
public struct StructureScore: Sendable, Codable {
    public var label: Int32
    public var status: ScoreStatus
    public var dice: Double
    public var hd95MM: Double
    public var assdMM: Double
    public var referenceVolumeML: Double
    public var predictedVolumeML: Double

    /// (predicted − reference) / reference × 100; NaN when the reference is empty.
    public var volumeDifferencePercent: Double {
        referenceVolumeML > 0 ? (predictedVolumeML - referenceVolumeML) / referenceVolumeML * 100 : .nan
    }
}

public enum OverlapMetrics {
    /// Scores every label of `labels`. Voxels where `excluded` is true (reference labels with no
    /// counterpart) are left out of both maps.
    public static func score(reference: LabelGrid, prediction: LabelGrid, labels: [Int32], excluded: [Bool]? = nil) -> [StructureScore] {
        precondition(reference.sameGrid(as: prediction), "reference and prediction must share a grid")
        return Parallel.map(labels.count) { index in
            scoreOne(label: labels[index], reference: reference, prediction: prediction, excluded: excluded)
        }
    }

    private static func scoreOne(label: Int32, reference: LabelGrid, prediction: LabelGrid, excluded: [Bool]?) -> StructureScore {
        let (nx, ny, nz) = (reference.nx, reference.ny, reference.nz)
        var countA = 0, countB = 0, both = 0
        var low = SIMD3<Int>(nx, ny, nz), high = SIMD3<Int>(-1, -1, -1)
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx {
                    let index = x + nx * (y + ny * z)
                    if excluded?[index] == true { continue }
                    let a = reference.labels[index] == label
                    let b = prediction.labels[index] == label
                    if a { countA += 1 }
                    if b { countB += 1 }
                    if a && b { both += 1 }
                    if a || b {
                        let p = SIMD3(x, y, z)
                        low = pointwiseMin(low, p)
                        high = pointwiseMax(high, p)
                    }
                }
            }
        }
        let unit = reference.voxelVolumeML
        var score = StructureScore(label: label, status: .scored, dice: .nan, hd95MM: .nan, assdMM: .nan,
                                   referenceVolumeML: Double(countA) * unit, predictedVolumeML: Double(countB) * unit)
        switch (countA, countB) {
        case (0, 0):
            score.status = .bothEmpty
            return score
        case (_, 0):
            score.status = .missingInPrediction
            score.dice = 0
            return score
        case (0, _):
            score.status = .missingInReference
            score.dice = 0
            return score
        default:
            break
        }
        score.dice = 2 * Double(both) / Double(countA + countB)
        let box = Box(low: low, high: high, grid: reference)
        let surfaceA = box.surface { index in reference.labels[index] == label && excluded?[index] != true }
        let surfaceB = box.surface { index in prediction.labels[index] == label && excluded?[index] != true }
        let toB = DistanceTransform.squaredDistances(features: surfaceB, nx: box.size.x, ny: box.size.y, nz: box.size.z,
                                                     spacingMM: reference.spacingMM)
        let toA = DistanceTransform.squaredDistances(features: surfaceA, nx: box.size.x, ny: box.size.y, nz: box.size.z,
                                                     spacingMM: reference.spacingMM)
        let fromA = surfaceA.indices.filter { surfaceA[$0] }.map { toB[$0].squareRoot() }
        let fromB = surfaceB.indices.filter { surfaceB[$0] }.map { toA[$0].squareRoot() }
        score.hd95MM = max(percentile(fromA, 95), percentile(fromB, 95))
        score.assdMM = (fromA.reduce(0, +) + fromB.reduce(0, +)) / Double(fromA.count + fromB.count)
        return score
    }

    /// The p-th percentile with linear interpolation between closest ranks (NumPy's default).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = p / 100 * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - Double(lower))
    }
}

/// The bounding box of both masks, where surfaces and distances are computed.
private struct Box {
    let low: SIMD3<Int>
    let size: SIMD3<Int>
    let grid: LabelGrid

    init(low: SIMD3<Int>, high: SIMD3<Int>, grid: LabelGrid) {
        self.low = low
        size = high &- low &+ 1
        self.grid = grid
    }

    /// Surface voxels of a mask inside the box (box layout): mask voxels with a face neighbour outside it.
    func surface(_ inMask: (Int) -> Bool) -> [Bool] {
        var mask = [Bool](repeating: false, count: size.x * size.y * size.z)
        for z in 0..<size.z {
            for y in 0..<size.y {
                for x in 0..<size.x {
                    let g = (x + low.x) + grid.nx * ((y + low.y) + grid.ny * (z + low.z))
                    mask[x + size.x * (y + size.y * z)] = inMask(g)
                }
            }
        }
        func at(_ x: Int, _ y: Int, _ z: Int) -> Bool {
            guard x >= 0, y >= 0, z >= 0, x < size.x, y < size.y, z < size.z else {
                // Outside the box but inside the grid the mask is empty (the box holds all of it).
                return false
            }
            return mask[x + size.x * (y + size.y * z)]
        }
        var surface = [Bool](repeating: false, count: mask.count)
        for z in 0..<size.z {
            for y in 0..<size.y {
                for x in 0..<size.x where at(x, y, z) {
                    surface[x + size.x * (y + size.y * z)] = !(at(x - 1, y, z) && at(x + 1, y, z) && at(x, y - 1, z)
                        && at(x, y + 1, z) && at(x, y, z - 1) && at(x, y, z + 1))
                }
            }
        }
        return surface
    }
}
