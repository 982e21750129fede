import DICOMIngest
import Foundation
import NeuroImage
import Reporting
import Segmentation
import Spiking
import Tensor

/// Segments one series and writes every file of the output contract (DESIGN.md) into its folder.
/// The folder is built under a temporary name and renamed when complete; `run.json` is written last.
public struct SeriesProcessor {
    public let bundle: PipelineBundle
    public let segmenter: Segmenter
    public let softwareVersion: String
    /// Whether `report.txt` is drafted by the bundle's language model (else rendered deterministically).
    public let useLanguageModel: Bool

    public init(bundle: PipelineBundle, backend: any Backend, softwareVersion: String, useLanguageModel: Bool = true) {
        self.bundle = bundle
        segmenter = Segmenter(model: bundle.model, backend: backend, windowEdge: bundle.windowEdge,
                              mirrorAveraging: bundle.mirrorAveraging, classWeights: bundle.classWeights,
                              intensityRefinement: bundle.intensityRefinement)
        self.softwareVersion = softwareVersion
        self.useLanguageModel = useLanguageModel
    }

    /// Key volumes for `summary.csv`.
    public struct Outcome: Sendable {
        public var eTIVML: Double
        public var leftHippocampusML: Double
        public var rightHippocampusML: Double
        public var seconds: Double
    }

    public func process(_ series: InputSeries, into folder: URL) throws -> Outcome {
        let start = Date()
        var stages: [String: Double] = [:]
        var clock = Date()
        func lap(_ stage: String) {
            stages[stage, default: 0] += Date().timeIntervalSince(clock)
            clock = Date()
        }
        let volume = try Ingest.load(series)
        lap("read")
        let result = try segmenter.segment(volume)
        for (stage, seconds) in result.seconds { stages[stage] = seconds }
        clock = Date()

        let partial = folder.deletingLastPathComponent().appendingPathComponent(".partial-\(getpid())-" + folder.lastPathComponent)
        try? FileManager.default.removeItem(at: partial)
        try FileManager.default.createDirectory(at: partial.appendingPathComponent("qc"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: partial) }

        try NIfTI.write(volume, to: partial.appendingPathComponent("input.nii.gz"))
        try NIfTI.write(result.labels, to: partial.appendingPathComponent("labels.nii.gz"))
        try AtomicFile.write(Data(labelTable().utf8), to: partial.appendingPathComponent("labels.tsv"))
        try Pictures.writeMasks(result.labels, to: partial.appendingPathComponent("masks"))
        for view in Pictures.View.allCases {
            try Pictures.writeOverlay(image: result.conformedImage, labels: result.conformedLabels, view: view,
                                      to: partial.appendingPathComponent("qc/overlay_\(view.rawValue).png"))
        }
        var warnings: [String] = []
        if case .dicom(let plan) = series {
            warnings = plan.warnings
            do {
                try DICOMSegmentation.write(labels: result.labels, plan: plan, softwareVersion: softwareVersion,
                                            to: partial.appendingPathComponent("seg.dcm"))
            } catch {
                warnings.append("seg.dcm not written: \(error.problem)")
            }
        }
        lap("write")

        let findings = makeFindings(series: series, volume: volume, result: result)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(findings), to: partial.appendingPathComponent("findings.json"))
        try AtomicFile.write(Data(volumesCSV(findings).utf8), to: partial.appendingPathComponent("volumes.csv"))
        let report = ReportStep.write(findings, bundle: bundle, useLanguageModel: useLanguageModel, softwareVersion: softwareVersion,
                                      threads: ProcessInfo.processInfo.activeProcessorCount)
        try AtomicFile.write(Data(report.text.utf8), to: partial.appendingPathComponent("report.txt"))
        lap("report")

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var run: [String: Any] = [
            "neurospike_version": softwareVersion,
            "pipeline": bundle.name,
            "segmenter_weights": bundle.weightsFile,
            "segmenter_sha256": bundle.weightsHash,
            "activation": bundle.model.configuration.activation.rawValue,
            "backend": segmenter.backend.name,
            "seconds_per_stage": stages,
            "seconds_total": Date().timeIntervalSince(start),
            "peak_rss_mb": Double(usage.ru_maxrss) / 1024,
            "warnings": warnings,
            "report": report.provenance,
            "complete": true,
        ]
        if let hash = bundle.classWeightsHash { run["class_weights_sha256"] = hash }
        if let refinement = bundle.intensityRefinement { run["intensity_refinement"] = refinement.description }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: run, options: [.prettyPrinted, .sortedKeys]),
                             to: partial.appendingPathComponent("run.json"))
        try replace(folder, with: partial)
        let volumeOf = { (label: Int) in findings.structures.first { $0.label == label }?.volumeML ?? 0 }
        return Outcome(eTIVML: findings.eTIVML, leftHippocampusML: volumeOf(17), rightHippocampusML: volumeOf(53),
                       seconds: Date().timeIntervalSince(start))
    }

    /// Moves a finished folder into place, replacing an older result only once the new one is complete.
    private func replace(_ folder: URL, with partial: URL) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder.path) {
            let old = folder.deletingLastPathComponent().appendingPathComponent(".old-\(getpid())-" + folder.lastPathComponent)
            try manager.moveItem(at: folder, to: old)
            try manager.moveItem(at: partial, to: folder)
            try? manager.removeItem(at: old)
        } else {
            try manager.moveItem(at: partial, to: folder)
        }
    }

    func labelTable() -> String {
        (["label\tname\tR\tG\tB"] + LabelSet.structures.map { s in
            "\(s.asegLabel)\t\(s.name)\t\(s.colour.x)\t\(s.colour.y)\t\(s.colour.z)"
        }).joined(separator: "\n") + "\n"
    }

    private func makeFindings(series: InputSeries, volume: Volume, result: SegmentationResult) -> Findings {
        var counts = [Int: Int]()
        let labels = result.labels
        for index in 0..<labels.shape.voxelsPerVolume { counts[Int(labels.voxels.value(at: index)), default: 0] += 1 }
        let spacing = volume.spacingMM
        let voxelMM3 = spacing.x * spacing.y * spacing.z
        let measurements = LabelSet.structures.dropFirst().map {
            FindingsBuilder.Measurement(label: $0.asegLabel, name: $0.name, volumeML: Double(counts[$0.asegLabel] ?? 0) * voxelMM3 / 1000)
        }
        var sidecar: [String: SidecarValue] = [:]
        if case .dicom = series { sidecar = Ingest.sidecar(for: series, softwareVersion: softwareVersion) }
        func text(_ key: String) -> String? { if case .text(let v) = sidecar[key] { return v } else { return nil } }
        func number(_ key: String) -> Double? { if case .number(let v) = sidecar[key] { return v } else { return nil } }
        let technique = Findings.Technique(
            modality: text("Modality"), manufacturer: text("Manufacturer"), model: text("ManufacturersModelName"),
            fieldStrengthT: number("MagneticFieldStrength"), seriesDescription: text("SeriesDescription"),
            dimensions: [volume.shape.i, volume.shape.j, volume.shape.k], voxelSizeMM: [spacing.x, spacing.y, spacing.z])
        var spikes: Findings.SpikeSummary?
        if !result.spikeStatistics.isEmpty {
            let all = result.spikeStatistics.values
            let activations = all.reduce(0) { $0 + $1.activations }
            let zeros = all.reduce(0) { $0 + $1.zeroCounts }
            let slots = all.reduce(0) { $0 + $1.slots }
            let silent = all.reduce(0) { $0 + $1.silentSlots }
            spikes = Findings.SpikeSummary(
                zeroCountFraction: Double(zeros) / Double(max(activations, 1)),
                silentSlotFraction: Double(silent) / Double(max(slots, 1)),
                synapticOperations: result.operations.synapticOperations,
                denseMultiplyAccumulates: result.operations.multiplyAccumulates,
                estimatedEnergyRatio: EnergyEstimate(result.operations, precision: .fp32).ratio)
        }
        return FindingsBuilder.build(
            measurements: measurements,
            demographics: Findings.Demographics(ageYears: number("PatientAge"), sex: text("PatientSex")),
            technique: technique, norms: bundle.norms, voxelVolumeMM3: voxelMM3, meanConfidence: result.meanConfidence,
            extraFlags: [], spikes: spikes)
    }

    private func volumesCSV(_ findings: Findings) -> String {
        func cell(_ value: Double?, _ digits: Int) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "" }
        return (["label,name,volume_ml,percent_of_etiv,z,percentile"] + findings.structures.map { s in
            "\(s.label),\(s.name),\(cell(s.volumeML, 3)),\(cell(s.percentOfETIV, 3)),\(cell(s.norm?.z, 2)),\(cell(s.norm?.percentile, 1))"
        }).joined(separator: "\n") + "\n"
    }
}
