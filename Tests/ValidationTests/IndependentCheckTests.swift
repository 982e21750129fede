import Foundation
import NeuroImage
import TestSupport
import Testing
@testable import Validation

@Suite(.enabled(if: SharedData.has("miccai2012-train/1000_glm.nii.gz"), SharedData.reason("miccai2012-train")))
struct IndependentCheckTests {
    static let labels: [Int32] = [2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 26, 28,
                                  41, 42, 43, 44, 46, 47, 49, 50, 51, 52, 53, 54, 58, 60]

    @Test(arguments: ["1000", "1001", "1002"])
    func diceAndHD95AgreeWithSciPy(_ caseID: String) throws {
        let mappingURL = SharedData.miccai.appendingPathComponent("neuromorphometrics_to_aseg.tsv")
        let mapping = try LabelMapping.load(mappingURL)
        let referenceURL = SharedData.miccai.appendingPathComponent("\(caseID)_glm.nii.gz")
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

        let environment = try runProcess("/bin/bash", [Repository.url("datasets/python-env.sh").path])
        try #require(environment.status == 0, "datasets/python-env.sh failed: \(environment.standardError)")
        let python = environment.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let script = Repository.url("Tests/ValidationTests/reference_metrics.py").path
        let check = try runProcess(python, [script, referenceURL.path, mappingURL.path, predictionURL.path] + Self.labels.map(String.init))
        try #require(check.status == 0, "reference_metrics.py failed: \(check.standardError)")
        let json = check.standardOutput
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
