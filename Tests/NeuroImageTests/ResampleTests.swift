import NeuroImage
import Testing

struct ResampleTests {
    static let affine = Affine(rows: [[0, 0, -2, 90], [-1.5, 0.1, 0, 120], [0, 1.2, 0.05, -60]])

    /// A 6×5×4 volume whose value is a linear function of the voxel index (trilinear reproduces it exactly).
    static func ramp(scale: IntensityScale = .identity) -> Volume {
        var values: [Int16] = []
        for k in 0..<4 { for j in 0..<5 { for i in 0..<6 { values.append(Int16(i + 10 * j + 100 * k)) } } }
        return Volume(shape: VolumeShape(6, 5, 4), affine: affine, voxels: .int16(values), scale: scale)
    }

    @Test func identityGridGivesIdenticalValues() throws {
        let volume = Self.ramp(scale: IntensityScale(slope: 0.5, intercept: 2))
        let resampled = try Resample.trilinear(volume, onto: volume.grid)
        #expect(resampled.voxels == .float32(volume.voxels.floats().map { 0.5 * $0 + 2 }))
        #expect(try Resample.nearest(volume, onto: volume.grid).voxels == volume.voxels)
    }

    @Test func shiftByOneVoxelMovesValues() throws {
        let volume = Self.ramp()
        var shifted = volume.grid
        shifted.affine.translation = volume.affine.world(SIMD3(1, 0, 0))
        let resampled = try Resample.trilinear(volume, onto: shifted, outside: -1)
        for k in 0..<4 {
            for j in 0..<5 {
                for i in 0..<6 {
                    let expected = i == 5 ? -1 : volume.value(i: i + 1, j: j, k: k)
                    #expect(resampled.value(i: i, j: j, k: k) == expected)
                }
            }
        }
    }

    @Test func halfVoxelShiftInterpolatesLinearly() throws {
        let volume = Self.ramp()
        var shifted = volume.grid
        shifted.affine.translation = volume.affine.world(SIMD3(0.5, 0.25, 0.75))
        let resampled = try Resample.trilinear(volume, onto: shifted)
        #expect(abs(resampled.value(i: 2, j: 1, k: 0) - (2.5 + 12.5 + 75)) < 1e-4)
    }

    @Test func nearestKeepsLabelsAndType() throws {
        let labels: [UInt8] = (0..<120).map { [0, 17, 53, 2, 41][$0 % 5] }
        let volume = Volume(shape: VolumeShape(6, 5, 4), affine: Self.affine, voxels: .uint8(labels))
        let fine = VoxelGrid(shape: VolumeShape(24, 20, 16),
                             affine: Affine(linear: Matrix3(columns: Self.affine.linear.columns.0 / 4,
                                                            Self.affine.linear.columns.1 / 4,
                                                            Self.affine.linear.columns.2 / 4),
                                            translation: Self.affine.translation))
        let resampled = try Resample.nearest(volume, onto: fine)
        guard case .uint8(let values) = resampled.voxels else { Issue.record("type changed"); return }
        #expect(Set(values).isSubset(of: [0, 17, 53, 2, 41]))
        #expect(resampled.value(i: 4, j: 0, k: 0) == volume.value(i: 1, j: 0, k: 0))
        #expect(resampled.value(i: 1, j: 1, k: 1) == volume.value(i: 0, j: 0, k: 0))
    }

    @Test func singularTargetMapThrows() {
        let volume = Volume(shape: VolumeShape(2, 2, 2), affine: Affine(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]),
                            voxels: .uint8(Array(repeating: 1, count: 8)))
        #expect(throws: GeometryError.self) { try Resample.nearest(volume, onto: volume.grid) }
    }
}
