import Foundation
import Testing

/// The real data under `../shared/data` (never committed). Tests that need it are skipped, with this
/// path in the reason, where it is absent. `NEUROSPIKE_SHARED_DATA` points elsewhere.
enum SharedData {
    static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["NEUROSPIKE_SHARED_DATA"] {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/data", isDirectory: true)
    }()

    static var labelMaps: URL { root.appendingPathComponent("labelmaps/synthseg-training", isDirectory: true) }
    static var priors: URL { labelMaps.appendingPathComponent("labels_classes_priors", isDirectory: true) }

    static var available: Bool { FileManager.default.fileExists(atPath: priors.path) }

    static let missingReason: Comment =
        "needs the SynthSeg training label maps under ../shared/data/labelmaps/synthseg-training (or NEUROSPIKE_SHARED_DATA)"
}
