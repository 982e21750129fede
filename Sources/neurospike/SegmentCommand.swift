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
          --jobs N               segment N series at a time (default 1), each job on cores/N threads and
                                 holding one series in memory; labels do not depend on N
          --shard I/N            process only series I of every N (I = 0…N−1, e.g. a Slurm array index)
          --all-series           segment every series, not only 3D anatomical ones
          --allow-irregular      accept series with missing or irregularly spaced slices
          --force                redo series that are already done
          --no-report            render report.txt deterministically instead of with the language model

        Progress goes to standard error as one line redrawn in place when that is a terminal, else one line
        per finished series to standard output.

        Exit codes: 0 all selected series done, 1 some failed, 2 usage error or nothing could be done.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        let backendName = try arguments.option("--backend") ?? "auto"
        guard let choice = BackendChoice(rawValue: backendName) else { throw UsageError("--backend must be auto, cpu or vulkan") }
        let pipelineName = try arguments.option("--pipeline") ?? "brain-t1"
        let jobs = try arguments.intOption("--jobs", default: 1)
        let shard = try parseShard(try arguments.option("--shard"))
        let allSeries = arguments.flag("--all-series")
        let allowIrregular = arguments.flag("--allow-irregular")
        let force = arguments.flag("--force")
        let useLanguageModel = !arguments.flag("--no-report")
        let paths = try arguments.positionals()
        guard !paths.isEmpty else { throw UsageError("give at least one file or folder") }

        let bundleFolder: URL
        let firstBundle: PipelineBundle
        do {
            bundleFolder = try PipelineBundle.locate(pipelineName, executable: URL(fileURLWithPath: ChildProcess.selfPath))
            firstBundle = try PipelineBundle(folder: bundleFolder)
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
        var rows = [String?](repeating: nil, count: report.series.count)
        var work: [Int] = []
        var failed = 0, done = 0
        for (index, series) in report.series.enumerated() where index % shard.count == shard.index {
            let name = names[index]
            if !allSeries, let reason = skipReason(series) {
                rows[index] = "\(name),skipped,\(reason),,,,"
            } else if !force && isComplete(outputFolder.appendingPathComponent(name, isDirectory: true)) {
                rows[index] = "\(name),already done,,,,,"
                done += 1
            } else {
                work.append(index)
            }
        }

        let processors: [SeriesProcessor]
        do {
            let jobCount = max(1, min(jobs, work.count))
            let threads = BatchJobs.threadsPerJob(jobCount)
            // Each job has its own network and backend, so no two threads share either.
            processors = try (0..<jobCount).map { job in
                SeriesProcessor(bundle: job == 0 ? firstBundle : try PipelineBundle(folder: bundleFolder),
                                backend: try choice.makeBackend(cpuThreads: threads), softwareVersion: neurospikeVersion,
                                useLanguageModel: useLanguageModel)
            }
        } catch {
            printError("neurospike segment: \(error)")
            return .usage
        }
        let progress = Progress(total: work.count)
        let series = report.series
        let selected = work
        let results = BatchJobs.run(count: selected.count, workers: processors) { processor, item -> SeriesResult in
            let name = names[selected[item]]
            progress.started(name)
            do {
                let outcome = try processor.process(series[selected[item]], into: outputFolder.appendingPathComponent(name, isDirectory: true))
                progress.finished(name, String(format: "done in %.1f s", outcome.seconds))
                return .done(outcome)
            } catch {
                progress.error("neurospike segment: \(name): \(error)")
                progress.finished(name, "failed")
                return .failed(String(describing: error))
            }
        }
        progress.close()
        for (index, result) in zip(selected, results) {
            let name = names[index]
            switch result {
            case .done(let outcome):
                rows[index] = String(format: "%@,done,,%.1f,%.3f,%.3f,%.1f", name, outcome.eTIVML, outcome.leftHippocampusML,
                                     outcome.rightHippocampusML, outcome.seconds)
                done += 1
            case .failed(let message):
                log.append("\(name): \(message)")
                rows[index] = "\(name),failed,\(message.replacingOccurrences(of: ",", with: ";")),,,,"
                failed += 1
            }
        }
        let summaryRows = rows.compactMap { $0 }
        let suffix = shard.count > 1 ? "-shard-\(shard.index)-of-\(shard.count)" : ""
        let header = "series,status,reason,etiv_ml,left_hippocampus_ml,right_hippocampus_ml,seconds"
        try AtomicFile.write(Data(([header] + summaryRows).joined(separator: "\n").appending("\n").utf8),
                             to: outputFolder.appendingPathComponent("summary\(suffix).csv"))
        try AtomicFile.write(Data(log.map { $0 + "\n" }.joined().utf8), to: outputFolder.appendingPathComponent("errors\(suffix).log"))
        report.failureLines.forEach { printError("neurospike segment: \($0)") }
        // Nothing segmented is exit 2, except for a shard that simply received no series.
        if done == 0 && !(summaryRows.isEmpty && shard.count > 1 && report.failures.isEmpty) { return .usage }
        return failed == 0 && report.failures.isEmpty ? .success : .someFailed
    }

    /// What became of one series a job segmented.
    private enum SeriesResult: Sendable {
        case done(SeriesProcessor.Outcome)
        case failed(String)
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
