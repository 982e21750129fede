import Foundation
import NeuroImage

/// Decodes the frames of a planned series into one volume, files in parallel, straight into the output.
enum VolumeAssembler {
    static func assemble(_ plan: SeriesPlan) throws(InputFailure) -> Volume {
        let rescales = Set(plan.slices.map { [$0.rescale.slope, $0.rescale.intercept] })
        let uniform = rescales.count == 1
        let scale = uniform ? plan.slices[0].rescale : .identity
        let format = plan.pixelFormat
        let range = format.sampleRange
        let voxels: VoxelArray
        if !uniform {
            voxels = .float32(try fill(plan, as: Float.self, applyRescale: true))
        } else if range.lowerBound >= Int64(Int16.min) && range.upperBound <= Int64(Int16.max) {
            voxels = .int16(try fill(plan, as: Int16.self, applyRescale: false))
        } else if range.lowerBound >= 0 && range.upperBound <= Int64(UInt16.max) {
            voxels = .uint16(try fill(plan, as: UInt16.self, applyRescale: false))
        } else {
            voxels = .int32(try fill(plan, as: Int32.self, applyRescale: false))
        }
        let tr: Double
        if case .number(let seconds) = plan.sidecar["RepetitionTime"] { tr = seconds } else { tr = 0 }
        return Volume(shape: plan.shape, affine: plan.affine, voxels: voxels, scale: scale,
                      repetitionTimeS: plan.shape.volumes > 1 ? tr : 0)
    }

    /// Decodes every file of the plan in parallel into one output array of `T`.
    private static func fill<T: StoredSample>(_ plan: SeriesPlan, as type: T.Type, applyRescale: Bool) throws(InputFailure) -> [T] {
        let byFile = Dictionary(grouping: plan.slices.indices, by: { plan.slices[$0].file })
        let files = byFile.keys.sorted { $0.path < $1.path }
        var values = [T](repeating: T.zero, count: plan.shape.count)
        let failures = values.withUnsafeMutableBufferPointer { output in
            let target = SharedOutput(base: output.baseAddress!)
            return Parallel.map(files.count) { fileIndex -> InputFailure? in
                let url = files[fileIndex]
                do {
                    try decode(url, slices: byFile[url]!, plan: plan, into: target, applyRescale: applyRescale)
                    return nil
                } catch let error as DICOMReadError {
                    return InputFailure(file: url, problem: "cannot decode pixel data: \(error.problem)",
                                        seriesUID: plan.seriesUID, seriesLabel: plan.label)
                } catch let failure as InputFailure {
                    return failure
                } catch {
                    return InputFailure(file: url, problem: "\(error)", seriesUID: plan.seriesUID, seriesLabel: plan.label)
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return values
    }

    private static func decode<T: StoredSample>(_ url: URL, slices: [Int], plan: SeriesPlan, into target: SharedOutput<T>,
                                                applyRescale: Bool) throws {
        let file = try DICOMFile(url: url)
        let frameBytes = file.frameBytes
        let bytesPerSample = plan.pixelFormat.bitsAllocated / 8
        let frameSamples = plan.frameRows * plan.frameColumns
        guard frameBytes >= frameSamples * bytesPerSample else {
            throw InputFailure(file: url, problem: "pixel data holds \(frameBytes) bytes per frame, \(frameSamples * bytesPerSample) expected",
                               seriesUID: plan.seriesUID, seriesLabel: plan.label)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
        defer { buffer.deallocate() }
        var decodedFrame = -1
        let shape = plan.shape
        let sliceSize = shape.i * shape.j
        for sliceIndex in slices.sorted(by: { plan.slices[$0].frame < plan.slices[$1].frame }) {
            let source = plan.slices[sliceIndex]
            if source.frame != decodedFrame {
                try file.decodeFrame(source.frame, into: buffer)
                decodedFrame = source.frame
            }
            var rowOffset = 0
            var columnOffset = 0
            if let tile = source.tile, let mosaic = plan.mosaic {
                rowOffset = (tile / mosaic.tilesPerRow) * mosaic.tileRows
                columnOffset = (tile % mosaic.tilesPerRow) * mosaic.tileColumns
            }
            let outputBase = sliceIndex * sliceSize
            let rescale = applyRescale ? source.rescale : .identity
            let format = plan.pixelFormat
            for j in 0..<shape.j {
                let inputRow = (j + rowOffset) * plan.frameColumns + columnOffset
                let outputRow = target.base + outputBase + j * shape.i
                for i in 0..<shape.i {
                    outputRow[i] = T(sample: format.sample(rawWord(buffer, inputRow + i, bytes: bytesPerSample)), rescale: rescale)
                }
            }
        }
    }
}

/// The output array's storage, shared by file workers; each voxel is written by exactly one worker.
private struct SharedOutput<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// A voxel type the assembler writes: integers keep the stored sample, floats apply the slice's rescale.
private protocol StoredSample: SendableMetatype {
    static var zero: Self { get }
    init(sample: Int32, rescale: IntensityScale)
}

extension Int16: StoredSample {
    init(sample: Int32, rescale: IntensityScale) { self.init(truncatingIfNeeded: sample) }
}

extension UInt16: StoredSample {
    init(sample: Int32, rescale: IntensityScale) { self.init(truncatingIfNeeded: sample) }
}

extension Int32: StoredSample {
    init(sample: Int32, rescale: IntensityScale) { self = sample }
}

extension Float: StoredSample {
    init(sample: Int32, rescale: IntensityScale) { self = Float(rescale.slope * Double(sample) + rescale.intercept) }
}

@inline(__always)
private func rawWord(_ buffer: UnsafeMutableRawBufferPointer, _ index: Int, bytes: Int) -> UInt32 {
    switch bytes {
    case 1: return UInt32(buffer.load(fromByteOffset: index, as: UInt8.self))
    case 2: return UInt32(buffer.load(fromByteOffset: index * 2, as: UInt16.self))
    default: return buffer.load(fromByteOffset: index * 4, as: UInt32.self)
    }
}
