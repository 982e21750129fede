import DICOMIngest
import Foundation
import NeuroImage
import Pipeline
import VulkanBackend

/// `neurospike segment PATH… --out DIR`: the main job, one folder of outputs per series.
enum SegmentCommand {
    static let command = Command(
        name: "segment",
        summary: "segment every 3D T1-weighted series found and write masks, volumes, QC pictures and a report",
        help: """
        usage: neurospike segment PATH… --out DIR [options]

        Finds the series in DICOM files, folders and NIfTI files, picks the 3D anatomical MR series (a 3D
        acquisition or ≥ 60 slices, not a localizer, one volume), segments each with the pipeline's spiking
        network and writes DIR/<name>/: input.nii.gz, labels.nii.gz (aseg labels on the input's grid),
        labels.tsv, masks/slice_NNNN.png (pixel value = label), qc/overlay_{axial,coronal,sagittal}.png,
        volumes.csv, findings.json, report.txt (drafted by the bundle's spiking language model and
        checked claim by claim against findings.json) and run.json (written last). DIR/summary.csv has one row per
        series (done, skipped and why, failed); DIR/errors.log collects the problems. A series whose
        run.json exists is skipped unless --force; one failing series never stops the others.

          --out DIR              output folder
          --backend B            auto | cpu | vulkan (auto: a GPU through Vulkan if present, else the CPU)
          --pipeline NAME|DIR    pipeline bundle (default brain-t1)
          --shard I/N            process only series I of every N (I = 0…N−1, e.g. a Slurm array index)
          --all-series           segment every series, not only 3D anatomical ones
          --allow-irregular      accept series with missing or irregularly spaced slices
          --force                redo series that are already done
          --no-report            render report.txt deterministically instead of with the language model

        Exit codes: 0 all selected series done, 1 some failed, 2 usage error or nothing could be done.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        let backendName = try arguments.option("--backend") ?? "auto"
        guard let choice = BackendChoice(rawValue: backendName) else { throw UsageError("--backend must be auto, cpu or vulkan") }
        let pipelineName = try arguments.option("--pipeline") ?? "brain-t1"
        let shard = try parseShard(try arguments.option("--shard"))
        let allSeries = arguments.flag("--all-series")
        let allowIrregular = arguments.flag("--allow-irregular")
        let force = arguments.flag("--force")
        let useLanguageModel = !arguments.flag("--no-report")
        let paths = try arguments.positionals()
        guard !paths.isEmpty else { throw UsageError("give at least one file or folder") }

        let bundle: PipelineBundle
        let processor: SeriesProcessor
        do {
            let folder = try PipelineBundle.locate(pipelineName, executable: URL(fileURLWithPath: ChildProcess.selfPath))
            bundle = try PipelineBundle(folder: folder)
            let backend = try choice.makeBackend(cpuThreads: ProcessInfo.processInfo.activeProcessorCount)
            processor = SeriesProcessor(bundle: bundle, backend: backend, softwareVersion: neurospikeVersion,
                                        useLanguageModel: useLanguageModel)
        } catch {
            printError("neurospike segment: \(error)")
            return .usage
        }
        let outputFolder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        removeLeftovers(in: outputFolder)
        let report = Ingest.scan(paths.map { URL(fileURLWithPath: $0) }, allowIrregular: allowIrregular)
        var log = report.failureLines
        let names = SafeName.unique(report.series.map(\.label))
        var rows: [String] = []
        var failed = 0, done = 0
        for (index, series) in report.series.enumerated() where index % shard.count == shard.index {
            let name = names[index]
            if !allSeries, let reason = skipReason(series) {
                rows.append("\(name),skipped,\(reason),,,,")
                continue
            }
            let folder = outputFolder.appendingPathComponent(name, isDirectory: true)
            if !force && isComplete(folder) {
                rows.append("\(name),already done,,,,,")
                done += 1
                continue
            }
            print("[\(index + 1)/\(report.series.count)] \(name): segmenting…")
            fflush(nil)
            do {
                let outcome = try processor.process(series, into: folder)
                rows.append(String(format: "%@,done,,%.1f,%.3f,%.3f,%.1f", name, outcome.eTIVML, outcome.leftHippocampusML,
                                   outcome.rightHippocampusML, outcome.seconds))
                print(String(format: "[%d/%d] %@: done in %.1f s", index + 1, report.series.count, name, outcome.seconds))
                done += 1
            } catch {
                let message = "\(name): \(error)"
                printError("neurospike segment: \(message)")
                log.append(message)
                rows.append("\(name),failed,\(String(describing: error).replacingOccurrences(of: ",", with: ";")),,,,")
                failed += 1
            }
        }
        let suffix = shard.count > 1 ? "-shard-\(shard.index)-of-\(shard.count)" : ""
        let header = "series,status,reason,etiv_ml,left_hippocampus_ml,right_hippocampus_ml,seconds"
        try AtomicFile.write(Data(([header] + rows).joined(separator: "\n").appending("\n").utf8),
                             to: outputFolder.appendingPathComponent("summary\(suffix).csv"))
        try AtomicFile.write(Data(log.map { $0 + "\n" }.joined().utf8), to: outputFolder.appendingPathComponent("errors\(suffix).log"))
        report.failureLines.forEach { printError("neurospike segment: \($0)") }
        // Nothing segmented is exit 2, except for a shard that simply received no series.
        if done == 0 && !(rows.isEmpty && shard.count > 1 && report.failures.isEmpty) { return .usage }
        return failed == 0 && report.failures.isEmpty ? .success : .someFailed
    }

    /// Why a series is not segmented by default, or nil when it should be.
    static func skipReason(_ series: InputSeries) -> String? {
        guard case .dicom(let plan) = series else { return nil }
        if plan.modality != nil && plan.modality != "MR" { return "not MR (\(plan.modality!))" }
        if plan.isLocalizer { return "localizer" }
        if plan.shape.volumes > 1 { return "4D series (\(plan.shape.volumes) volumes)" }
        if plan.imageType.uppercased().contains("DERIVED") { return "derived image" }
        if !plan.isVolumetric { return "not a 3D acquisition and fewer than 60 slices" }
        return nil
    }

    /// Removes the half-built series folders (`.partial-PID-…`, `.old-PID-…`) of runs that were killed; a
    /// folder whose process still runs on this machine is left alone.
    private static func removeLeftovers(in folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(".partial-") || name.hasPrefix(".old-") {
            let fields = name.split(separator: "-", maxSplits: 2)
            guard fields.count == 3, let pid = Int32(fields[1]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    private static func isComplete(_ folder: URL) -> Bool {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("run.json")),
              let run = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return run["complete"] as? Bool == true
    }

    private static func parseShard(_ text: String?) throws -> (index: Int, count: Int) {
        guard let text else { return (0, 1) }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count > 0, (0..<count).contains(index) else {
            throw UsageError("--shard expects I/N with 0 ≤ I < N, got '\(text)'")
        }
        return (index, count)
    }
}
