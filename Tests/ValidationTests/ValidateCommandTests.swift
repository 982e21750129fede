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
        let manifest = try writeManifest(ids: ["1000", "1001", "1002"], labels: [10, 17, 49, 53], in: scratch)
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
        let seconds = try #require(summary["score_seconds_per_case"] as? [String: Double])
        #expect((seconds["1000"] ?? 0) > 0, "scoring time is recorded per case")
        #expect(summary["segmentation"] is NSNull, "no run.json beside these predictions, so how they were made is unknown")
        let perLabel = try #require(summary["per_label"] as? [String: [String: Any]])
        #expect(perLabel["17"]?["name"] as? String == "Left-Hippocampus")
        let rows = try String(contentsOf: out.appendingPathComponent("cases.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 1 + 2 * 4 + 1, "header, 2 cases × 4 structures, 1 failed case")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.weights.path), "needs the shipped segmenter in pipelines/brain-t1"))
    func withoutPredictionsSegmentsEachCaseAndRecordsTimeSpikesAndWeightsHash() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let manifest = try writeManifest(ids: ["1000", "1001"], labels: [2, 3, 17, 53], in: scratch)
        let out = scratch.url.appendingPathComponent("report")

        let result = try NeuroSpikeBinary.run(["validate", manifest.path, "--out", out.path, "--backend", "cpu", "--jobs", "2"])

        #expect(result.status == 0, "\(result.standardError)")
        let summary = try readJSON(out.appendingPathComponent("summary.json"))
        let provenance = try #require(summary["provenance"] as? [String: String])
        let hash = String(try runProcess("/usr/bin/sha256sum", [Self.weights.path]).standardOutput.prefix(64))
        #expect(provenance["segmenter_sha256"] == hash, "the weights' SHA-256 is recorded")
        let classWeights = Repository.url("pipelines/brain-t1/class-weights.json").path
        #expect(provenance["class_weights_sha256"] == String(try runProcess("/usr/bin/sha256sum", [classWeights]).standardOutput.prefix(64)),
                "so is the class weights'")
        #expect(provenance["pipeline"] == "brain-t1")
        #expect(provenance["neurospike"]?.isEmpty == false)
        let segmentation = try #require(summary["segmentation"] as? [String: Any])
        let perCase = try #require(segmentation["per_case"] as? [String: [String: Double]])
        for id in ["1000", "1001"] {
            let run = try #require(perCase[id], "case \(id) has a segmentation record")
            #expect((run["seconds"] ?? 0) > 0)
            #expect((0.01...0.99).contains(run["zero_count_fraction"] ?? -1), "zero-count fraction of the spiking network")
            #expect((0.01...0.99).contains(run["silent_slot_fraction"] ?? -1), "silent-slot fraction of the spiking network")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("predictions/\(id)/labels.nii.gz").path))
        }
        let rows = try String(contentsOf: out.appendingPathComponent("cases.csv"), encoding: .utf8).split(separator: "\n")
        let header = rows[0].split(separator: ",").map(String.init)
        let column = try #require(header.firstIndex(of: "segment_seconds"), "cases.csv has a runtime column: \(header)")
        #expect(rows.count == 1 + 2 * 4, "header, 2 cases × 4 structures")
        #expect(rows.dropFirst().allSatisfy { (Double($0.split(separator: ",", omittingEmptySubsequences: false)[column]) ?? 0) > 0 })
        #expect(try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8).contains(hash))

        let rescored = out.deletingLastPathComponent().appendingPathComponent("rescored")
        let again = try NeuroSpikeBinary.run(["validate", manifest.path, "--out", rescored.path,
                                              "--predictions", out.appendingPathComponent("predictions").path])

        #expect(again.status == 0, "\(again.standardError)")
        let rescoredSummary = try readJSON(rescored.appendingPathComponent("summary.json"))
        #expect(rescoredSummary["mean_dice"] as? Double == summary["mean_dice"] as? Double, "the kept predictions score the same")
        #expect((rescoredSummary["provenance"] as? [String: String])?["segmenter_sha256"] == provenance["segmenter_sha256"])
        #expect((rescoredSummary["provenance"] as? [String: String])?["class_weights_sha256"] == provenance["class_weights_sha256"])
        let carried = (rescoredSummary["segmentation"] as? [String: Any])?["per_case"] as? [String: [String: Double]]
        for id in ["1000", "1001"] {
            for key in ["seconds", "zero_count_fraction"] {
                #expect(abs((carried?[id]?[key] ?? -1) - (perCase[id]?[key] ?? 1)) < 1e-9,
                        "\(key) of case \(id) comes from the run.json beside its prediction")
            }
        }
    }

    static let weights = Repository.url("pipelines/brain-t1/segmenter.safetensors")

    private func writeManifest(ids: [String], labels: [Int], in scratch: ScratchFolder) throws -> URL {
        let cases = ids.map { id in
            """
            {"id": "\(id)", "image": "\(SharedData.miccai.path)/\(id)_SS.nii.gz", "labels": "\(SharedData.miccai.path)/\(id)_glm.nii.gz"}
            """
        }
        let manifest = scratch.url.appendingPathComponent("manifest.json")
        try Data("""
        {"name": "MICCAI subset", "labelMapping": "\(SharedData.miccai.path)/neuromorphometrics_to_aseg.tsv",
         "labels": \(labels), "cases": [\(cases.joined(separator: ","))]}
        """.utf8).write(to: manifest)
        return manifest
    }

    private func readJSON(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }
}
