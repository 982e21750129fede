import Foundation

/// Writes files so that a reader never sees half of one: data goes to a hidden temporary name in the same
/// folder and is renamed over the final name only when complete.
public enum AtomicFile {
    /// A temporary path beside `url` whose name keeps `url`'s extensions (writers that choose compression by
    /// extension, such as `.nii.gz`, still see it).
    public static func temporaryURL(for url: URL) -> URL {
        let name = ".partial-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))-"
            + url.lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = temporaryURL(for: url)
        do {
            try data.write(to: temporary)
            try commit(temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Moves a completed temporary file over `url` (an existing file there is replaced).
    public static func commit(_ temporary: URL, to url: URL) throws {
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [
                NSLocalizedDescriptionKey: "cannot rename into \(url.path): \(String(cString: strerror(code)))",
            ])
        }
    }
}
