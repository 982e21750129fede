import Foundation
import Testing

/// The real data under `../shared/data` (never committed). Tests that need a part of it are skipped,
/// naming that part, where it is absent. `NEUROSPIKE_SHARED_DATA` points elsewhere.
public enum SharedData {
    public static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["NEUROSPIKE_SHARED_DATA"] {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return Repository.root.deletingLastPathComponent().appendingPathComponent("shared/data", isDirectory: true)
    }()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func has(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative).path) }

    /// The reason a test is skipped when `relative` is absent.
    public static func reason(_ relative: String) -> Comment {
        Comment(rawValue: "needs ../shared/data/\(relative) (or NEUROSPIKE_SHARED_DATA)")
    }

    public static var dicom: URL { url("dicom") }
    public static var labelMaps: URL { url("labelmaps/synthseg-training") }
    public static var priors: URL { labelMaps.appendingPathComponent("labels_classes_priors", isDirectory: true) }
    public static var miccai: URL { url("miccai2012-train") }
}

/// The repository this test build comes from.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}
