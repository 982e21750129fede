import CNIfTI
import Foundation
import NeuroImage
import Testing

struct NIfTITests {
    static let affine = Affine(rows: [[-0.9, 0.05, 0, 91], [0, 0, 1.1, -126], [0, -1, 0, 72], [0, 0, 0, 1]])

    static let cases: [(String, VoxelArray)] = [
        ("uint8.nii", .uint8((0..<60).map { UInt8($0 * 4) })),
        ("int16.nii.gz", .int16((0..<60).map { Int16($0 * 1000 - 30000) })),
        ("uint16.nii.gz", .uint16((0..<60).map { UInt16($0 * 1000) })),
        ("int32.nii", .int32((0..<60).map { Int32($0) * 70_000 - 2_000_000 })),
        ("float32.nii.gz", .float32((0..<60).map { Float($0) * 0.37 - 5 })),
    ]

    @Test(arguments: cases.indices)
    func roundTripsVoxelsAffineAndScale(_ index: Int) throws {
        let (name, voxels) = Self.cases[index]
        let volume = Volume(shape: VolumeShape(5, 4, 3), affine: Self.affine, voxels: voxels,
                            scale: IntensityScale(slope: 0.5, intercept: 3))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString)-\(name)")
        defer { try? FileManager.default.removeItem(at: url) }
        try NIfTI.write(volume, to: url)
        let read = try NIfTI.read(url)
        #expect(read.voxels == voxels)
        #expect(read.shape == volume.shape)
        #expect(read.scale == volume.scale)
        let rows = zip(read.affine.rows.joined(), Self.affine.rows.joined())
        #expect(rows.allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func writesFourDimensionsWithRepetitionTime() throws {
        let volume = Volume(shape: VolumeShape(2, 2, 2, volumes: 3), affine: .diagonal(spacingMM: SIMD3(2, 2, 3)),
                            voxels: .int16((0..<24).map(Int16.init)), repetitionTimeS: 2.5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString).nii.gz")
        defer { try? FileManager.default.removeItem(at: url) }
        try NIfTI.write(volume, to: url)
        let read = try NIfTI.read(url)
        #expect(read.shape == VolumeShape(2, 2, 2, volumes: 3))
        #expect(abs(read.repetitionTimeS - 2.5) < 1e-6)
        #expect(read.value(i: 1, j: 1, k: 1, volume: 2) == 23)
    }

    @Test func setsSformAndQformBothToScanner() throws {
        let rigid = Affine(rows: [[0, 0, -1.2, 80], [-1, 0, 0, 100], [0, 1, 0, -50], [0, 0, 0, 1]])
        let volume = Volume(shape: VolumeShape(3, 3, 3), affine: rigid, voxels: .uint8(Array(repeating: 1, count: 27)))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString).nii")
        defer { try? FileManager.default.removeItem(at: url) }
        try NIfTI.write(volume, to: url)
        var header = ns_nifti_header()
        var raw: UnsafeMutableRawPointer?
        var message = [CChar](repeating: 0, count: 128)
        #expect(ns_nifti_read(url.path, &header, &raw, &message, message.count) == 1)
        ns_nifti_free(raw)
        #expect(header.sform_code == 1)
        #expect(header.qform_code == 1)
        let qform = withUnsafeBytes(of: header.qform) { Array($0.bindMemory(to: Double.self)) }
        let expected = rigid.rows.flatMap { $0 }
        #expect(zip(qform, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "qform \(qform)")
    }

    @Test func rejectsTruncatedFileNamingIt() throws {
        let volume = Volume(shape: VolumeShape(16, 16, 16), affine: .diagonal(spacingMM: SIMD3(1, 1, 1)),
                            voxels: .float32(Array(repeating: 1, count: 4096)))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString).nii")
        defer { try? FileManager.default.removeItem(at: url) }
        try NIfTI.write(volume, to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(2000).write(to: url)
        #expect {
            try NIfTI.read(url)
        } throws: { error in
            (error as? NIfTIError)?.path == url.path
        }
    }

    @Test func leavesNoTemporaryFileWhenWritingFails() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString)")
        let url = folder.appendingPathComponent("missing-subfolder/out.nii.gz")
        let volume = Volume(shape: VolumeShape(2, 2, 2), affine: .diagonal(spacingMM: SIMD3(1, 1, 1)),
                            voxels: .uint8(Array(repeating: 0, count: 8)))
        #expect(throws: NIfTIError.self) { try NIfTI.write(volume, to: url) }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
