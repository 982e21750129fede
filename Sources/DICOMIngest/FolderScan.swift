import Foundation
import NeuroImage

/// Finds input files under the given paths and reads every DICOM header (in parallel).
enum FolderScan {
    /// File name endings that announce DICOM; such a file that is not DICOM is an error, not a skip.
    static let dicomExtensions: Set<String> = ["dcm", "dicom", "ima"]

    struct Result {
        var frames: [ImageFrame] = []
        var facts: [String: SeriesFacts] = [:]
        var niftiFiles: [URL] = []
        var failures: [InputFailure] = []
        var skippedNonDICOM = 0
        var skippedNonImage = 0
    }

    private enum Classified {
        case images([ImageFrame], SeriesFacts)
        case notAnImage
        case notDICOM
        case failed(InputFailure)
    }

    static func scan(_ paths: [URL]) -> Result {
        var result = Result()
        var candidates: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
                result.failures.append(InputFailure(file: path, problem: "no such file or folder"))
                continue
            }
            if isDirectory.boolValue {
                candidates += files(under: path)
            } else {
                candidates.append(path)
            }
        }
        candidates = Array(Set(candidates.map(\.standardizedFileURL))).sorted { $0.path < $1.path }
        result.niftiFiles = candidates.filter { NIfTI.isNIfTIName($0.lastPathComponent) }
        let dicomCandidates = candidates.filter { !NIfTI.isNIfTIName($0.lastPathComponent) }
        let classified = Parallel.map(dicomCandidates.count) { classify(dicomCandidates[$0]) }
        for item in classified {
            switch item {
            case .images(let frames, let facts):
                result.frames += frames
                if result.facts[facts.key] == nil { result.facts[facts.key] = facts }
            case .notAnImage: result.skippedNonImage += 1
            case .notDICOM: result.skippedNonDICOM += 1
            case .failed(let failure): result.failures.append(failure)
            }
        }
        return result
    }

    /// Regular files below `folder`, recursively; hidden names are left out.
    private static func files(under folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [] }
        var found: [URL] = []
        for case let url as URL in enumerator {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { found.append(url) }
        }
        return found
    }

    private static func classify(_ url: URL) -> Classified {
        let announcedDICOM = dicomExtensions.contains(url.pathExtension.lowercased())
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            return .failed(InputFailure(file: url, problem: "cannot open the file for reading"))
        }
        let head = (try? handle.read(upToCount: 132)) ?? Data()
        try? handle.close()
        if head.isEmpty {
            return announcedDICOM ? .failed(InputFailure(file: url, problem: "empty file (0 bytes)")) : .notDICOM
        }
        guard looksLikeDICOM(head) else {
            return announcedDICOM
                ? .failed(InputFailure(file: url, problem: "not a DICOM file (no 'DICM' signature and no DICOM data elements at the start)"))
                : .notDICOM
        }
        do {
            let file = try DICOMFile(url: url)
            switch try FrameReader.read(file) {
            case .images(let frames, let facts): return .images(frames, facts)
            case .notAnImage: return .notAnImage
            }
        } catch let error as DICOMReadError {
            return .failed(InputFailure(file: url, problem: "unreadable DICOM (truncated or corrupt): \(error.problem)"))
        } catch let failure as InputFailure {
            return .failed(failure)
        } catch {
            return .failed(InputFailure(file: url, problem: "\(error)"))
        }
    }

    /// A Part 10 file has "DICM" after a 128-byte preamble; a bare dataset starts with a group 0002 or 0008 tag.
    static func looksLikeDICOM(_ head: Data) -> Bool {
        let bytes = [UInt8](head)
        if bytes.count >= 132, bytes[128...131].elementsEqual("DICM".utf8) { return true }
        guard bytes.count >= 8 else { return false }
        let group = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        let element = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
        return (group == 0x0002 || group == 0x0008) && element < 0x0100
    }
}
