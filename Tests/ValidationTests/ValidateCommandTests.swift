import Foundation
import NeuroImage
import TestSupport
import Testing
@testable import Validation

@Suite(.enabled(if: SharedData.has("miccai2012-train/1001_glm.nii.gz"), SharedData.reason("miccai2012-train")),
       .enabled(if: NeuroSpikeBinary.available, "needs the neurospike binary built beside the tests"))
struct ValidateCommandTests {
    @Test func scoresPredictionsWritesTablesAndReportsMissingCases() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let mapping = try LabelMapping.load(SharedData.miccai.appendingPathComponent("neuromorphometrics_to_aseg.tsv"))
        for id in ["1000", "1001"] {
            let reference = try NIfTI.read(SharedData.miccai.appendingPathComponent("\(id)_glm.nii.gz"))
            let prediction = coarsePrediction(of: LabelGrid(reference), mapping: mapping)
            let folder = try scratch.folder("predictions/\(id)_SS")
            try NIfTI.write(Volume(shape: reference.shape, affine: reference.affine, voxels: .int16(prediction.labels.map { Int16($0) })),
                            to: folder.appendingPathComponent("labels.nii.gz"))
        }
        let cases = ["1000", "1001", "1002"].map { id in
            """
            {"id": "\(id)", "image": "\(SharedData.miccai.path)/\(id)_SS.nii.gz", "labels": "\(SharedData.miccai.path)/\(id)_glm.nii.gz"}
            """
        }
        let manifest = scratch.url.appendingPathComponent("manifest.json")
        try Data("""
        {"name": "two of MICCAI", "labelMapping": "\(SharedData.miccai.path)/neuromorphometrics_to_aseg.tsv",
         "labels": [10, 17, 49, 53], "cases": [\(cases.joined(separator: ","))]}
        """.utf8).write(to: manifest)
        let out = scratch.url.appendingPathComponent("report")

        let result = try NeuroSpikeBinary.run(["validate", manifest.path, "--out", out.path,
                                               "--predictions", scratch.url.appendingPathComponent("predictions").path])

        #expect(result.status == 1, "one case has no prediction: \(result.standardError)")
        #expect(result.standardError.contains("no prediction found") && result.standardError.contains("1002"))
        for name in ["cases.csv", "summary.csv", "summary.md", "summary.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) missing")
        }
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        let meanDice = try #require(summary["mean_dice"] as? Double)
        #expect(meanDice > 0.6 && meanDice < 1, "a 2 mm coarsening of the manual labels: mean Dice \(meanDice)")
        let seconds = try #require(summary["seconds_per_case"] as? [String: Double])
        #expect((seconds["1000"] ?? 0) > 0, "scoring time is recorded per case")
        let perLabel = try #require(summary["per_label"] as? [String: [String: Any]])
        #expect(perLabel["17"]?["name"] as? String == "Left-Hippocampus")
        let rows = try String(contentsOf: out.appendingPathComponent("cases.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 1 + 2 * 4 + 1, "header, 2 cases × 4 structures, 1 failed case")
    }
}
