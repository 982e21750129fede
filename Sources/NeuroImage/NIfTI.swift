import CNIfTI
import Foundation

/// A NIfTI file that cannot be read or written; the message names the file.
public struct NIfTIError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// NIfTI-1/2 input and NIfTI-1 output (.nii and .nii.gz) through nifti_clib.
public enum NIfTI {
    /// True for names ending in `.nii` or `.nii.gz`.
    public static func isNIfTIName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz")
    }

    /// The file name without `.nii` / `.nii.gz`.
    public static func stem(of url: URL) -> String {
        let name = url.lastPathComponent
        for suffix in [".nii.gz", ".nii"] where name.lowercased().hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }

    public static func read(_ url: URL) throws -> Volume {
        var header = ns_nifti_header()
        var raw: UnsafeMutableRawPointer?
        var message = [CChar](repeating: 0, count: 256)
        guard ns_nifti_read(url.path, &header, &raw, &message, message.count) == 1, let raw else {
            throw NIfTIError(path: url.path, problem: String(nulTerminated: message))
        }
        defer { ns_nifti_free(raw) }
        let dims = withUnsafeBytes(of: header.dims) { Array($0.bindMemory(to: Int64.self)) }
        guard dims[4...].allSatisfy({ $0 == 1 }), dims[0..<4].allSatisfy({ $0 > 0 }) else {
            throw NIfTIError(path: url.path, problem: "unsupported dimensions \(dims.prefix(Int(max(header.rank, 1))).map(String.init).joined(separator: "×")) (at most 4D)")
        }
        let shape = VolumeShape(Int(dims[0]), Int(dims[1]), Int(dims[2]), volumes: Int(dims[3]))
        let voxels = try voxelArray(raw, count: shape.count, datatype: header.datatype, path: url.path)
        var scale = IntensityScale.identity
        if header.scl_slope.isFinite && header.scl_slope != 0 {
            scale = IntensityScale(slope: header.scl_slope, intercept: header.scl_inter.isFinite ? header.scl_inter : 0)
        }
        let pixdim = withUnsafeBytes(of: header.pixdim) { Array($0.bindMemory(to: Double.self)) }
        return Volume(shape: shape, affine: affine(of: header, pixdim: pixdim), voxels: voxels, scale: scale,
                      repetitionTimeS: shape.volumes > 1 ? pixdim[3] : 0)
    }

    /// Writes `volume` to `url` as NIfTI-1 (gzip-compressed on all cores when the name ends in `.gz`)
    /// atomically, with sform and qform both set from the volume's affine (code 1, scanner coordinates).
    public static func write(_ volume: Volume, to url: URL, description: String = "NeuroSpike") throws {
        var header = ns_nifti_header()
        header.rank = volume.shape.volumes > 1 ? 4 : 3
        let dims: [Int64] = [Int64(volume.shape.i), Int64(volume.shape.j), Int64(volume.shape.k),
                             Int64(volume.shape.volumes), 1, 1, 1]
        withUnsafeMutableBytes(of: &header.dims) { _ = $0.bindMemory(to: Int64.self).update(from: dims) }
        let spacing = volume.spacingMM
        let pixdim = [spacing.x, spacing.y, spacing.z, volume.repetitionTimeS, 0, 0, 0]
        withUnsafeMutableBytes(of: &header.pixdim) { _ = $0.bindMemory(to: Double.self).update(from: pixdim) }
        header.scl_slope = volume.scale.slope
        header.scl_inter = volume.scale.intercept
        header.sform_code = 1
        header.qform_code = 1
        let rows = volume.affine.rows.flatMap { $0 }
        withUnsafeMutableBytes(of: &header.sform) { _ = $0.bindMemory(to: Double.self).update(from: rows) }
        withUnsafeMutableBytes(of: &header.description) { buffer in
            let bytes = Array(description.utf8.prefix(79)) + [0]
            buffer.copyBytes(from: bytes)
        }
        var message = [CChar](repeating: 0, count: 256)
        var prefix = [UInt8](repeating: 0, count: 352)
        let built: Int32 = withStoredBytes(volume.voxels) { _, datatype in
            header.datatype = datatype
            return ns_nifti1_header(&header, &prefix, &message, message.count)
        }
        guard built == 1 else { throw NIfTIError(path: url.path, problem: String(nulTerminated: message)) }
        let temporary = AtomicFile.temporaryURL(for: url)
        do {
            try withStoredBytes(volume.voxels) { pointer, _ in
                let voxels = UnsafeRawBufferPointer(start: pointer, count: volume.voxels.count * volume.voxels.bytesPerVoxel)
                try prefix.withUnsafeBytes { header in
                    if url.pathExtension.lowercased() == "gz" {
                        try ParallelGzip.write([header, voxels], to: temporary)
                    } else {
                        try PlainWriter.write([header, voxels], to: temporary)
                    }
                }
            }
            try AtomicFile.commit(temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw NIfTIError(path: url.path, problem: "cannot write: \(error.localizedDescription)")
        }
    }

    private static func affine(of header: ns_nifti_header, pixdim: [Double]) -> Affine {
        func rows<T>(_ matrix: T) -> [[Double]] {
            let flat = withUnsafeBytes(of: matrix) { Array($0.bindMemory(to: Double.self)) }
            return (0..<4).map { Array(flat[($0 * 4)..<($0 * 4 + 4)]) }
        }
        if header.sform_code > 0 { return Affine(rows: rows(header.sform)) }
        if header.qform_code > 0 { return Affine(rows: rows(header.qform)) }
        let spacing = SIMD3(pixdim[0], pixdim[1], pixdim[2]).replacing(with: 1, where: SIMD3(pixdim[0], pixdim[1], pixdim[2]) .<= 0)
        return .diagonal(spacingMM: spacing)
    }

    private static func voxelArray(_ raw: UnsafeMutableRawPointer, count: Int, datatype: Int32, path: String) throws -> VoxelArray {
        func copy<T>(_ type: T.Type) -> [T] {
            Array(UnsafeBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count))
        }
        switch datatype {
        case 2: return .uint8(copy(UInt8.self))
        case 4: return .int16(copy(Int16.self))
        case 512: return .uint16(copy(UInt16.self))
        case 8: return .int32(copy(Int32.self))
        case 16: return .float32(copy(Float.self))
        case 256: return .int16(copy(Int8.self).map(Int16.init))
        case 768: return .float32(copy(UInt32.self).map(Float.init))
        case 64: return .float32(copy(Double.self).map { Float($0) })
        default: throw NIfTIError(path: path, problem: "unsupported NIfTI datatype \(datatype)")
        }
    }

    /// Calls `body` with the voxels' bytes and their NIfTI datatype code.
    private static func withStoredBytes<R>(_ voxels: VoxelArray, _ body: (UnsafeRawPointer, Int32) throws -> R) rethrows -> R {
        switch voxels {
        case .uint8(let v): return try v.withUnsafeBytes { try body($0.baseAddress!, 2) }
        case .int16(let v): return try v.withUnsafeBytes { try body($0.baseAddress!, 4) }
        case .uint16(let v): return try v.withUnsafeBytes { try body($0.baseAddress!, 512) }
        case .int32(let v): return try v.withUnsafeBytes { try body($0.baseAddress!, 8) }
        case .float32(let v): return try v.withUnsafeBytes { try body($0.baseAddress!, 16) }
        }
    }
}
