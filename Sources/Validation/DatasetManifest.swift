import Foundation

/// A labelled dataset: JSON with paths relative to the manifest file.
///
/// `{"name": …, "labelMapping": "map.tsv", "labels": [aseg labels to score],
///   "cases": [{"id": …, "image": …, "labels": …, "sex": "F", "age": 20, "subject": …}]}`
public struct DatasetManifest: Sendable {
    public struct Case: Sendable, Decodable {
        public var id: String
        public var image: String
        public var labels: String
        public var sex: String?
        public var age: Double?
        /// Cases with the same subject are repeated scans of one person (test–retest).
        public var subject: String?
    }

    public var name: String
    public var labels: [Int32]
    public var cases: [Case]
    public var mapping: LabelMapping
    /// The folder the manifest's relative paths start from.
    public var folder: URL

    public func url(_ path: String) -> URL { Self.resolve(path, in: folder) }

    /// An absolute path as it is; a relative one from `folder`.
    static func resolve(_ path: String, in folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    private struct File: Decodable {
        var name: String
        var labelMapping: String?
        var labels: [Int32]
        var cases: [Case]
    }

    public static func load(_ url: URL) throws -> DatasetManifest {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ManifestError(path: url.path, problem: "cannot read the manifest")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ManifestError(path: url.path, problem: "not a valid manifest: \(error)")
        }
        guard !file.cases.isEmpty else { throw ManifestError(path: url.path, problem: "the manifest lists no cases") }
        guard !file.labels.isEmpty else { throw ManifestError(path: url.path, problem: "the manifest lists no labels to score") }
        let ids = file.cases.map(\.id)
        guard Set(ids).count == ids.count else { throw ManifestError(path: url.path, problem: "case ids are not unique") }
        let folder = url.deletingLastPathComponent()
        let mapping = try file.labelMapping.map { try LabelMapping.load(resolve($0, in: folder)) } ?? .identity
        return DatasetManifest(name: file.name, labels: file.labels, cases: file.cases, mapping: mapping, folder: folder)
    }
}

/// A problem with a manifest or mapping file, naming it.
public struct ManifestError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Source label → aseg label (-1: leave these voxels out of the scoring). Read from a TSV with a header
/// whose columns are source label, name, aseg label (further columns are ignored).
public struct LabelMapping: Sendable {
    public static let excluded: Int32 = -1
    private var table: [Int32: Int32]
    private let isIdentity: Bool

    public static let identity = LabelMapping(table: [:], isIdentity: true)

    init(table: [Int32: Int32], isIdentity: Bool = false) {
        self.table = table
        self.isIdentity = isIdentity
    }

    /// The aseg label of a source label. A source label missing from the table is left out (-1), except
    /// 0, which is background.
    public func aseg(_ source: Int32) -> Int32 {
        if isIdentity { return source }
        return table[source] ?? (source == 0 ? 0 : Self.excluded)
    }

    public static func load(_ url: URL) throws -> LabelMapping {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ManifestError(path: url.path, problem: "cannot read the label mapping")
        }
        var table: [Int32: Int32] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated().dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, let source = Int32(fields[0].trimmingCharacters(in: .whitespaces)),
                  let aseg = Int32(fields[2].trimmingCharacters(in: .whitespaces)) else {
                throw ManifestError(path: url.path, problem: "line \(number + 1): expected source label, name, aseg label")
            }
            table[source] = aseg
        }
        return LabelMapping(table: table)
    }
}
