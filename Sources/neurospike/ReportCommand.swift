import Foundation
import NeuroImage
import Pipeline
import Reporting

/// `neurospike report RESULT_DIR…`: (re)writes report.txt from findings.json and records how in run.json.
enum ReportCommand {
    static let command = Command(
        name: "report",
        summary: "(re)write report.txt of segmented series from their findings.json",
        help: """
        usage: neurospike report RESULT_DIR… [options]

        For each series folder written by 'segment', drafts report.txt from findings.json with the
        pipeline's spiking language model, checks every claim against the findings (resampling a failing
        draft, then falling back to the deterministic rendering) and updates the "report" entry of run.json.

          --pipeline NAME|DIR    pipeline bundle (default brain-t1)
          --no-report            render deterministically instead of with the language model
          --threads N            CPU threads (default: all cores)
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let pipelineName = try arguments.option("--pipeline") ?? "brain-t1"
        let useLanguageModel = !arguments.flag("--no-report")
        let threads = try arguments.intOption("--threads", default: ProcessInfo.processInfo.activeProcessorCount)
        let folders = try arguments.positionals().map { URL(fileURLWithPath: $0, isDirectory: true) }
        guard !folders.isEmpty else { throw UsageError("give at least one result folder") }
        let bundle = try PipelineBundle(folder: try PipelineBundle.locate(pipelineName, executable: URL(fileURLWithPath: ChildProcess.selfPath)))
        var failed = 0
        for folder in folders {
            do {
                let findingsURL = folder.appendingPathComponent("findings.json")
                let findings: Findings
                do {
                    findings = try JSONDecoder().decode(Findings.self, from: Data(contentsOf: findingsURL))
                } catch {
                    throw PipelineError("\(findingsURL.path): not a readable findings file (\(error.localizedDescription))")
                }
                let report = ReportStep.write(findings, bundle: bundle, useLanguageModel: useLanguageModel,
                                              softwareVersion: neurospikeVersion, threads: threads)
                try AtomicFile.write(Data(report.text.utf8), to: folder.appendingPathComponent("report.txt"))
                let runURL = folder.appendingPathComponent("run.json")
                if var run = (try? JSONSerialization.jsonObject(with: Data(contentsOf: runURL))) as? [String: Any] {
                    run["report"] = report.provenance
                    try AtomicFile.write(try JSONSerialization.data(withJSONObject: run, options: [.prettyPrinted, .sortedKeys]), to: runURL)
                }
                let fallback = report.provenance["fallback"] as? Bool == true ? " (fallback)" : ""
                print("\(folder.path): report.txt by \(report.provenance["writer"] ?? "?")\(fallback)")
            } catch {
                printError("neurospike report: \(error)")
                failed += 1
            }
        }
        return failed == 0 ? .success : failed == folders.count ? .usage : .someFailed
    }
}
