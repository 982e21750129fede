import Foundation
import NeuroImage

/// A training label map held compactly: one byte per voxel, the position of its label in
/// `SynthesisPriors.generationLabels` (16 MB for a 256³ map instead of 64 MB of float32).
public struct TrainingLabelMap: Sendable {
    public let name: String
    public let grid: VoxelGrid
    /// World (RAS+ mm) → continuous voxel index.
    public let worldToVoxel: Affine
    /// Per voxel (index = i + ni·(j + nj·k)): index into the priors' per-label arrays.
    public let labelIndices: [UInt8]
    /// Centroid (world mm) of the brain: the voxels whose target class is neither background nor CSF.
    public let brainCentreMM: SIMD3<Double>

    /// Converts a label volume (any voxel type holding whole label values); throws for labels the priors
    /// do not know and for a singular affine.
    public init(name: String, volume: Volume, priors: SynthesisPriors) throws {
        guard let inverse = volume.affine.inverse else {
            throw SynthesisError(path: name, problem: "the label map's affine is singular")
        }
        let largest = priors.generationLabels.max() ?? 0
        var lookup = [Int16](repeating: -1, count: largest + 1)
        for (index, label) in priors.generationLabels.enumerated() where label >= 0 { lookup[label] = Int16(index) }
        let values = volume.voxels.floats()
        let perVolume = volume.shape.voxelsPerVolume
        var indices = [UInt8](repeating: 0, count: perVolume)
        for n in 0..<perVolume {
            let label = Double(volume.scale.slope) * Double(values[n]) + volume.scale.intercept
            let whole = Int(exactly: label.rounded()) ?? -1
            guard abs(label - label.rounded()) < 1e-3, whole >= 0, whole <= largest, lookup[whole] >= 0 else {
                throw SynthesisError(path: name, problem: "voxel \(n) holds label \(label), which the generation labels lack")
            }
            indices[n] = UInt8(lookup[whole])
        }
        let shape = volume.shape
        let csf = LabelSet.classIndex(ofAseg: 24)
        var sum = SIMD3<Double>.zero, count = 0.0
        var n = 0
        for k in 0..<shape.k {
            for j in 0..<shape.j {
                for i in 0..<shape.i {
                    let target = priors.targetClasses[Int(indices[n])]
                    if target != 0 && target != csf {
                        sum += SIMD3(Double(i), Double(j), Double(k))
                        count += 1
                    }
                    n += 1
                }
            }
        }
        guard count > 0 else { throw SynthesisError(path: name, problem: "the label map holds no brain structure") }
        let centre = sum / count
        self.name = name
        grid = volume.grid
        worldToVoxel = inverse
        labelIndices = indices
        brainCentreMM = volume.affine.world(centre)
    }

    /// Reads a NIfTI label map.
    public static func load(_ url: URL, priors: SynthesisPriors) throws -> TrainingLabelMap {
        let volume = try NIfTI.read(url)
        do {
            return try TrainingLabelMap(name: NIfTI.stem(of: url), volume: volume, priors: priors)
        } catch let error as SynthesisError {
            throw SynthesisError(path: url.path, problem: error.problem)
        }
    }
}
