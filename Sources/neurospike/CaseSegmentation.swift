import DICOMIngest
import Foundation
import NeuroImage
import Segmentation
import Spiking
import Validation

/// How `validate` segments one case: the image is read as `segment` reads it, segmented, and its label map
/// kept as `<folder>/<id>/labels.nii.gz` with a `run.json` beside it; then the map is scored.
struct CaseSegmentation: Sendable {
    var pipeline: String
    var weightsFile: String
    var weightsHash: String
    var classWeightsHash: String?
    var intensityRefinement: String?
    var activation: String
    /// Where the label maps are kept, one folder per case id.
    var folder: URL

    func segmentAndScore(_ testCase: DatasetManifest.Case, with segmenter: Segmenter, manifest: DatasetManifest) -> CaseResult {
        let image = manifest.url(testCase.image)
        let caseFolder = folder.appendingPathComponent(SafeName.make(testCase.id), isDirectory: true)
        let labelsURL = caseFolder.appendingPathComponent("labels.nii.gz")
        let record: SegmentationRecord
        do {
            let start = Date()
            let volume = try Self.load(image)
            let readSeconds = Date().timeIntervalSince(start)
            let result: SegmentationResult
            do {
                result = try segmenter.segment(volume)
            } catch {
                throw CaseFailure("\(image.path): cannot segment: \(error)")
            }
            let stages = result.seconds.merging(["read": readSeconds]) { $1 }
            let spikes = Self.spikeFractions(result.spikeStatistics)
            record = SegmentationRecord(seconds: PredictionRun.seconds(stages), zeroCountFraction: spikes?.zeroCount,
                                        silentSlotFraction: spikes?.silentSlot)
            try FileManager.default.createDirectory(at: caseFolder, withIntermediateDirectories: true)
            try NIfTI.write(result.labels, to: labelsURL)
            try writeRun(stages: stages, spikes: spikes, backend: segmenter.backend.name, to: caseFolder.appendingPathComponent("run.json"))
        } catch {
            return CaseResult(id: testCase.id, subject: testCase.subject, scores: [], seconds: 0, failure: "\(error)")
        }
        var scored = Validation.score(testCase, prediction: labelsURL, manifest: manifest)
        scored.segmentation = record
        return scored
    }

    /// The one series of a case's image (a NIfTI file or a folder of one DICOM series), read as `segment` reads it.
    static func load(_ image: URL) throws -> Volume {
        let report = Ingest.scan([image])
        if let problem = report.failureLines.first { throw CaseFailure(problem) }
        guard report.series.count == 1, let series = report.series.first else {
            throw CaseFailure("\(image.path): \(report.series.isEmpty ? "no image found" : "\(report.series.count) series found; a case needs exactly one")")
        }
        return try Ingest.load(series)
    }

    /// Zero-count and silent-slot fractions over every activation site, or nil for a conventional network.
    static func spikeFractions(_ statistics: [String: SpikeStatistics]) -> (zeroCount: Double, silentSlot: Double)? {
        guard !statistics.isEmpty else { return nil }
        let all = statistics.values
        let activations = all.reduce(0) { $0 + $1.activations }, zeros = all.reduce(0) { $0 + $1.zeroCounts }
        let slots = all.reduce(0) { $0 + $1.slots }, silent = all.reduce(0) { $0 + $1.silentSlots }
        return (Double(zeros) / Double(max(activations, 1)), Double(silent) / Double(max(slots, 1)))
    }

    /// Provenance in the keys of `segment`'s `run.json`, plus the spike fractions under `findings.json`'s names.
    private func writeRun(stages: [String: Double], spikes: (zeroCount: Double, silentSlot: Double)?, backend: String,
                          to url: URL) throws {
        var run: [String: Any] = [
            "neurospike_version": neurospikeVersion,
            "pipeline": pipeline,
            "segmenter_weights": weightsFile,
            "segmenter_sha256": weightsHash,
            "activation": activation,
            "backend": backend,
            "seconds_per_stage": stages,
            "complete": true,
        ]
        if let classWeightsHash { run["class_weights_sha256"] = classWeightsHash }
        if let intensityRefinement { run["intensity_refinement"] = intensityRefinement }
        if let spikes { run["spikes"] = ["zeroCountFraction": spikes.zeroCount, "silentSlotFraction": spikes.silentSlot] }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: run, options: [.prettyPrinted, .sortedKeys]), to: url)
    }
}

/// What `segment` or `validate` recorded beside a given prediction: `run.json` (stage seconds, pipeline,
/// weights hash) and the spike fractions of `run.json` or, in `segment`'s layout, `findings.json`.
struct PredictionRun {
    /// `SegmentationRecord.seconds` from the seconds per stage of a `run.json`: reading through post-processing.
    static func seconds(_ stages: [String: Double]) -> Double {
        ["read", "conform", "network", "postprocess"].compactMap { stages[$0] }.reduce(0, +)
    }

    var record: SegmentationRecord?
    var pipeline: String?
    var weightsHash: String?
    var classWeightsHash: String?
    var intensityRefinement: String?

    init(beside prediction: URL) {
        let folder = prediction.deletingLastPathComponent()
        func object(_ name: String) -> [String: Any]? {
            guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        guard prediction.lastPathComponent == "labels.nii.gz", let run = object("run.json"), run["complete"] as? Bool == true else { return }
        pipeline = run["pipeline"] as? String
        weightsHash = run["segmenter_sha256"] as? String
        classWeightsHash = run["class_weights_sha256"] as? String
        intensityRefinement = run["intensity_refinement"] as? String
        guard let stages = run["seconds_per_stage"] as? [String: Double] else { return }
        let spikes = (run["spikes"] ?? object("findings.json")?["spikes"]) as? [String: Any]
        record = SegmentationRecord(seconds: Self.seconds(stages),
                                    zeroCountFraction: spikes?["zeroCountFraction"] as? Double,
                                    silentSlotFraction: spikes?["silentSlotFraction"] as? Double)
    }
}

/// A case that could not be segmented, with the file at fault named in the message.
struct CaseFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
