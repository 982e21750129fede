import Foundation
import NeuroImage
import Pipeline
import Segmentation
import Validation
import VulkanBackend

/// `neurospike validate MANIFEST --out DIR`: segments a labelled dataset (or takes given label maps) and scores it.
enum ValidateCommand {
    static let command = Command(
        name: "validate",
        summary: "segment a labelled dataset and score it (Dice, HD95, ASSD, volumes, time, spike statistics)",
        help: """
        usage: neurospike validate MANIFEST --out DIR [--pipeline NAME|DIR] [--backend B] [--jobs N]
               neurospike validate MANIFEST --out DIR --predictions DIR

        MANIFEST is JSON (paths relative to it): {"name", "labelMapping": TSV, "labels": [aseg labels to
        score], "cases": [{"id", "image", "labels", "sex", "age", "subject"}]}. The mapping TSV has a header
        and the columns source label, name, aseg label (-1: leave those voxels out of the scoring).

        Without --predictions every case's image (NIfTI, or a folder holding one DICOM series) is read and
        segmented as `neurospike segment` does, and the label map is kept as DIR/predictions/<id>/labels.nii.gz
        with a run.json beside it (stage seconds, spike statistics, pipeline and weights hash), so a rerun
        with --predictions DIR/predictions scores the same maps again without segmenting.

        With --predictions the label map of a case is looked up as <name>/labels.nii.gz (the layout
        `neurospike segment` writes, <name> being the image's file stem), then <id>/labels.nii.gz, then
        <id>.nii.gz; the run.json and findings.json beside it, when present, supply its time and spike
        statistics. It must lie on the reference's voxel grid.

        Writes DIR/cases.csv (case × structure, with the per-case scoring and segmentation seconds and spike
        statistics), DIR/summary.csv, DIR/summary.md and DIR/summary.json (mean ± SD and median per
        structure, macro means over all and over the 14 subcortical structures, failures, test–retest volume
        differences for repeated scans of one subject, segmentation time and spike statistics, pipeline name,
        software version and the weights' SHA-256).

          --out DIR              output folder (created if needed)
          --predictions DIR      score the label maps in DIR instead of segmenting the cases
          --pipeline NAME|DIR    pipeline bundle (default brain-t1)
          --backend B            auto | cpu | vulkan (default auto)
          --jobs N               segment N cases at a time (default 1), each job on cores/N threads; the
                                 seconds recorded per case are then those of a job on its share of the cores

        Exit codes: 0 every case scored, 1 some cases failed, 2 usage error or no case scored.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        let predictions = try arguments.option("--predictions")
        let pipelineName = try arguments.option("--pipeline")
        let backendName = try arguments.option("--backend")
        let jobsText = try arguments.option("--jobs")
        let positionals = try arguments.positionals()
        guard positionals.count == 1 else { throw UsageError("give one manifest") }
        if predictions != nil && (pipelineName != nil || backendName != nil || jobsText != nil) {
            throw UsageError("--pipeline, --backend and --jobs say how to segment the cases; with --predictions nothing is segmented")
        }
        guard let choice = BackendChoice(rawValue: backendName ?? "auto") else { throw UsageError("--backend must be auto, cpu or vulkan") }
        guard let jobs = Int(jobsText ?? "1"), jobs >= 1 else { throw UsageError("--jobs expects an integer ≥ 1, got '\(jobsText ?? "")'") }
        let manifest: DatasetManifest
        do {
            manifest = try DatasetManifest.load(URL(fileURLWithPath: positionals[0]))
        } catch {
            printError("neurospike validate: \(error)")
            return .usage
        }
        let outputFolder = URL(fileURLWithPath: out, isDirectory: true)
        let results: [CaseResult]
        var provenance = ["neurospike": neurospikeVersion]
        if let predictions {
            provenance["predictions"] = predictions
            let folder = URL(fileURLWithPath: predictions, isDirectory: true)
            var runs: [PredictionRun] = []
            results = manifest.cases.map { testCase in
                guard let prediction = locatePrediction(for: testCase, in: folder, manifest: manifest) else {
                    let failure = "no prediction found in \(folder.path) for case \(testCase.id)"
                    printError("neurospike validate: \(failure)")
                    return CaseResult(id: testCase.id, subject: testCase.subject, scores: [], seconds: 0, failure: failure)
                }
                let run = PredictionRun(beside: prediction)
                runs.append(run)
                var result = Validation.score(testCase, prediction: prediction, manifest: manifest)
                result.segmentation = run.record
                if let failure = result.failure { printError("neurospike validate: \(failure)") }
                print("\(testCase.id): \(result.failure == nil ? meanDiceLine(result) : "failed")")
                return result
            }
            // Recorded only where the runs beside the predictions say it; several values are listed.
            for (key, values) in [("pipeline", runs.compactMap(\.pipeline)), ("segmenter_sha256", runs.compactMap(\.weightsHash)),
                                  ("class_weights_sha256", runs.compactMap(\.classWeightsHash)),
                                  ("intensity_refinement", runs.compactMap(\.intensityRefinement))] where !values.isEmpty {
                provenance[key] = Set(values).sorted().joined(separator: ", ")
            }
        } else {
            let segmenters: [Segmenter]
            let bundle: PipelineBundle
            let jobCount = min(jobs, manifest.cases.count)
            do {
                let folder = try PipelineBundle.locate(pipelineName ?? "brain-t1", executable: URL(fileURLWithPath: ChildProcess.selfPath))
                bundle = try PipelineBundle(folder: folder)
                let threads = BatchJobs.threadsPerJob(jobCount)
                // Each job has its own network and backend, so no two threads share either.
                segmenters = try (0..<jobCount).map { job in
                    Segmenter(model: job == 0 ? bundle.model : try PipelineBundle(folder: folder).model,
                              backend: try choice.makeBackend(cpuThreads: threads), windowEdge: bundle.windowEdge,
                              mirrorAveraging: bundle.mirrorAveraging, classWeights: bundle.classWeights,
                              intensityRefinement: bundle.intensityRefinement)
                }
            } catch {
                printError("neurospike validate: \(error)")
                return .usage
            }
            let predictionFolder = outputFolder.appendingPathComponent("predictions", isDirectory: true)
            let run = CaseSegmentation(pipeline: bundle.name, weightsFile: bundle.weightsFile, weightsHash: bundle.weightsHash,
                                       classWeightsHash: bundle.classWeightsHash,
                                       intensityRefinement: bundle.intensityRefinement?.description, activation: bundle.model.configuration.activation.rawValue, folder: predictionFolder)
            provenance["pipeline"] = bundle.name
            provenance["segmenter_sha256"] = bundle.weightsHash
            provenance["class_weights_sha256"] = bundle.classWeightsHash
            provenance["intensity_refinement"] = bundle.intensityRefinement?.description
            provenance["backend"] = "\(segmenters[0].backend.name) × \(jobCount) job\(jobCount == 1 ? "" : "s")"
            provenance["predictions"] = (out as NSString).appendingPathComponent("predictions")
            let progress = Progress(total: manifest.cases.count)
            let cases = manifest.cases
            results = BatchJobs.run(count: cases.count, workers: segmenters) { segmenter, index in
                progress.started(cases[index].id)
                let result = run.segmentAndScore(cases[index], with: segmenter, manifest: manifest)
                if let failure = result.failure { progress.error("neurospike validate: \(failure)") }
                progress.finished(cases[index].id, result.failure == nil ? meanDiceLine(result) : "failed")
                return result
            }
            progress.close()
        }
        let summary = ValidationSummary(labels: manifest.labels, results: results)
        let report = ValidationReport(datasetName: manifest.name, results: results, summary: summary,
                                      provenance: provenance, structureName: structureName)
        try report.write(to: outputFolder)
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
        let segmented = result.segmentation.map { String(format: "segmented in %.1f s, ", $0.seconds) } ?? ""
        return String(format: "mean Dice %.3f (%d structures, %@scored in %.1f s)", dice.reduce(0, +) / Double(max(dice.count, 1)),
                      dice.count, segmented, result.seconds)
    }

    private static func locatePrediction(for testCase: DatasetManifest.Case, in folder: URL, manifest: DatasetManifest) -> URL? {
        let stem = SafeName.make(NIfTI.stem(of: manifest.url(testCase.image)))
        let candidates = [folder.appendingPathComponent(stem).appendingPathComponent("labels.nii.gz"),
                          folder.appendingPathComponent(SafeName.make(testCase.id)).appendingPathComponent("labels.nii.gz"),
                          folder.appendingPathComponent(SafeName.make(testCase.id) + ".nii.gz")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
