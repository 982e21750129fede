import Foundation
import NeuroImage
import Segmentation
import Validation

/// `neurospike validate MANIFEST --out DIR --predictions DIR`: scores label maps against a labelled dataset.
enum ValidateCommand {
    static let command = Command(
        name: "validate",
        summary: "score segmentations against a labelled dataset (Dice, HD95, ASSD, volumes)",
        help: """
        usage: neurospike validate MANIFEST --out DIR --predictions DIR

        MANIFEST is JSON (paths relative to it): {"name", "labelMapping": TSV, "labels": [aseg labels to
        score], "cases": [{"id", "image", "labels", "sex", "age", "subject"}]}. The mapping TSV has a header
        and the columns source label, name, aseg label (-1: leave those voxels out of the scoring).

        The predicted label map of a case is looked up in the predictions folder as
        <name>/labels.nii.gz (the layout `neurospike segment` writes, <name> being the image's file stem),
        then <id>/labels.nii.gz, then <id>.nii.gz. It must lie on the reference's voxel grid.

        Writes DIR/cases.csv (case × structure), DIR/summary.csv, DIR/summary.md and DIR/summary.json
        (mean ± SD and median per structure, macro means over all and over the 14 subcortical structures,
        failures, test–retest volume differences for repeated scans of one subject).

          --out DIR           output folder (created if needed)
          --predictions DIR   folder of predicted label maps to score

        Exit codes: 0 every case scored, 1 some cases failed, 2 usage error or no case scored.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        guard let predictions = try arguments.option("--predictions") else {
            throw UsageError("--predictions DIR is required (segmenting the cases first comes with the trained pipeline)")
        }
        let positionals = try arguments.positionals()
        guard positionals.count == 1 else { throw UsageError("give one manifest") }
        let manifest: DatasetManifest
        do {
            manifest = try DatasetManifest.load(URL(fileURLWithPath: positionals[0]))
        } catch {
            printError("neurospike validate: \(error)")
            return .usage
        }
        let predictionFolder = URL(fileURLWithPath: predictions, isDirectory: true)
        var results: [CaseResult] = []
        for testCase in manifest.cases {
            guard let prediction = locatePrediction(for: testCase, in: predictionFolder, manifest: manifest) else {
                let failure = "no prediction found in \(predictionFolder.path) for case \(testCase.id)"
                printError("neurospike validate: \(failure)")
                results.append(CaseResult(id: testCase.id, subject: testCase.subject, scores: [], seconds: 0, failure: failure))
                continue
            }
            let result = Validation.score(testCase, prediction: prediction, manifest: manifest)
            if let failure = result.failure { printError("neurospike validate: \(failure)") }
            print(String(format: "%@: %@", testCase.id, result.failure == nil ? meanDiceLine(result) : "failed"))
            results.append(result)
        }
        let summary = ValidationSummary(labels: manifest.labels, results: results)
        let report = ValidationReport(
            datasetName: manifest.name, results: results, summary: summary,
            provenance: ["predictions": predictions, "neurospike": neurospikeVersion],
            structureName: structureName)
        try report.write(to: URL(fileURLWithPath: out, isDirectory: true))
        print(String(format: "mean Dice %.3f over %d structures, subcortical %.3f; %d of %d cases scored",
                     summary.meanDice, manifest.labels.count, summary.subcorticalMeanDice, summary.scoredCases, results.count))
        if summary.scoredCases == 0 { return .usage }
        return summary.failedCases.isEmpty ? .success : .someFailed
    }

    static func structureName(_ label: Int32) -> String {
        LabelSet.structures.first { $0.asegLabel == Int(label) }?.name ?? "label \(label)"
    }

    private static func meanDiceLine(_ result: CaseResult) -> String {
        let dice = result.scores.filter { $0.status != .bothEmpty }.map(\.dice)
        return String(format: "mean Dice %.3f (%d structures, %.1f s)", dice.reduce(0, +) / Double(max(dice.count, 1)), dice.count, result.seconds)
    }

    private static func locatePrediction(for testCase: DatasetManifest.Case, in folder: URL, manifest: DatasetManifest) -> URL? {
        let stem = SafeName.make(NIfTI.stem(of: manifest.url(testCase.image)))
        let candidates = [folder.appendingPathComponent(stem).appendingPathComponent("labels.nii.gz"),
                          folder.appendingPathComponent(SafeName.make(testCase.id)).appendingPathComponent("labels.nii.gz"),
                          folder.appendingPathComponent(SafeName.make(testCase.id) + ".nii.gz")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
