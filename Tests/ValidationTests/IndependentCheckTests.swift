import Foundation
import NeuroImage
import Testing
@testable import Validation

private enum Paths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let miccai: URL = {
        if let override = ProcessInfo.processInfo.environment["NEUROSPIKE_SHARED_DATA"] {
            return URL(fileURLWithPath: override).appendingPathComponent("miccai2012-train")
        }
        return repository.deletingLastPathComponent().appendingPathComponent("shared/data/miccai2012-train")
    }()
    static var available: Bool { FileManager.default.fileExists(atPath: miccai.appendingPathComponent("1000_glm.nii.gz").path) }
}

private func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    return String(decoding: data, as: UTF8.self)
}

@Suite(.enabled(if: Paths.available, "needs ../shared/data/miccai2012-train (or NEUROSPIKE_SHARED_DATA)"))
struct IndependentCheckTests {
    static let labels: [Int32] = [2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 26, 28,
                                  41, 42, 43, 44, 46, 47, 49, 50, 51, 52, 53, 54, 58, 60]

    /// A coarser version of the mapped manual labels (each voxel takes the label of the even-indexed
    /// voxel of its 2×2×2 block): a realistic imperfect segmentation to score.
    private func coarsePrediction(of reference: LabelGrid, mapping: LabelMapping) -> LabelGrid {
        var labels = reference.labels
        for z in 0..<reference.nz {
            for y in 0..<reference.ny {
                for x in 0..<reference.nx {
                    let source = (x & ~1) + reference.nx * ((y & ~1) + reference.ny * (z & ~1))
                    labels[x + reference.nx * (y + reference.ny * z)] = max(0, mapping.aseg(reference.labels[source]))
                }
            }
        }
        return LabelGrid(nx: reference.nx, ny: reference.ny, nz: reference.nz, spacingMM: reference.spacingMM, labels: labels)
    }

    @Test(arguments: ["1000", "1001", "1002"])
    func diceAndHD95AgreeWithSciPy(_ caseID: String) throws {
        let mappingURL = Paths.miccai.appendingPathComponent("neuromorphometrics_to_aseg.tsv")
        let mapping = try LabelMapping.load(mappingURL)
        let referenceURL = Paths.miccai.appendingPathComponent("\(caseID)_glm.nii.gz")
        let referenceVolume = try NIfTI.read(referenceURL)
        var reference = LabelGrid(referenceVolume)
        let prediction = coarsePrediction(of: reference, mapping: mapping)
        let predictionURL = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-prediction-\(UUID().uuidString).nii.gz")
        defer { try? FileManager.default.removeItem(at: predictionURL) }
        try NIfTI.write(Volume(shape: referenceVolume.shape, affine: referenceVolume.affine,
                               voxels: .int16(prediction.labels.map { Int16($0) })), to: predictionURL)

        let excluded = reference.labels.map { mapping.aseg($0) == LabelMapping.excluded }
        reference.labels = reference.labels.map { mapping.aseg($0) }
        let ours = OverlapMetrics.score(reference: reference, prediction: prediction, labels: Self.labels, excluded: excluded)

        let python = try run("/bin/bash", [Paths.repository.appendingPathComponent("datasets/python-env.sh").path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let script = Paths.repository.appendingPathComponent("Tests/ValidationTests/reference_metrics.py").path
        let json = try run(python, [script, referenceURL.path, mappingURL.path, predictionURL.path] + Self.labels.map(String.init))
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Double]])

        var compared = 0
        for score in ours where score.status == .scored {
            let reference = try #require(theirs[String(score.label)], "label \(score.label) missing from the SciPy result")
            #expect(abs(score.dice - reference["dice"]!) < 1e-6, "label \(score.label): Dice \(score.dice) vs \(reference["dice"]!)")
            #expect(abs(score.hd95MM - reference["hd95"]!) < 0.01, "label \(score.label): HD95 \(score.hd95MM) vs \(reference["hd95"]!)")
            compared += 1
        }
        #expect(compared >= 25, "only \(compared) structures were scored")
    }
}
