import CNIfTI
import Foundation

/// Gzip compression on all cores: the input is cut into chunks that are compressed independently and
/// written as consecutive gzip members, which every gzip reader (zlib, nifti_clib, Python, ITK) reads
/// back as one stream — the same idea as bgzip. Level 3: on Colin27 (14 MB of int16) it compressed 3× faster
/// than gzip's default level 6 and no worse (4.44 MB vs 4.47 MB with `gzip -3` / `gzip -6`).
enum ParallelGzip {
    static let chunkBytes = 1 << 20

    /// Compresses the concatenation of `parts` into a new file at `url`.
    static func write(_ parts: [UnsafeRawBufferPointer], to url: URL, level: Int32 = 3) throws {
        let chunks = parts.flatMap { part in
            stride(from: 0, to: part.count, by: chunkBytes).map {
                SharedBytes(base: part.baseAddress! + $0, count: min(chunkBytes, part.count - $0))
            }
        }
        let handle = try PlainWriter.create(url)
        defer { try? handle.close() }
        // Batches of a few chunks per core keep memory to a few MB while every core stays busy.
        let batchSize = 4 * ProcessInfo.processInfo.activeProcessorCount
        for batchStart in stride(from: 0, to: chunks.count, by: batchSize) {
            let batch = Array(chunks[batchStart..<min(batchStart + batchSize, chunks.count)])
            let members = Parallel.map(batch.count) { index -> [UInt8]? in
                let chunk = batch[index]
                var output = [UInt8](repeating: 0, count: ns_gzip_bound(chunk.count))
                let written = output.withUnsafeMutableBytes {
                    ns_gzip_member(chunk.base, chunk.count, level, $0.baseAddress, $0.count)
                }
                output.removeLast(output.count - written)
                return written > 0 ? output : nil
            }
            for member in members {
                guard let member else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "gzip compression failed"])
                }
                try handle.write(contentsOf: member)
            }
        }
    }
}

/// Uncompressed output of byte ranges to a new file.
enum PlainWriter {
    static func write(_ parts: [UnsafeRawBufferPointer], to url: URL) throws {
        let handle = try create(url)
        defer { try? handle.close() }
        for part in parts where part.count > 0 {
            try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: part.baseAddress!),
                                              count: part.count, deallocator: .none))
        }
    }

    static func create(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "cannot create \(url.path)"])
        }
        return handle
    }
}

private struct SharedBytes: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
}
