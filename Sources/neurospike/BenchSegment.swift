import Foundation
import VulkanBackend

/// `neurospike bench segment PATH…`: where the time of `neurospike segment` goes, stage by stage, per input.
enum BenchSegment {
    static let command = Command(
        name: "segment",
        summary: "time segment stage by stage (read, conform, network, post-processing, writing, report) with peak memory",
        help: """
        usage: neurospike bench segment PATH… [--runs N] [--backend B] [--json] [--out DIR]

        For each PATH (a DICOM folder or a NIfTI file) runs `neurospike segment PATH` --runs times (default 3),
        each as a separate process under GNU time writing into a fresh temporary folder, and prints the median
        of each column: the seconds of the stages that segment records in run.json (read, conform, segment =
        the network, post-process, write, report), other (process start, loading the pipeline, scanning the
        input: the wall time not in a stage), total (the process's wall time) and peak resident memory (MB).
        Stage seconds are summed over the series of an input; the series column says how many there were.
        --backend is passed to segment (default auto). --json also writes the rows to DIR/segment.json
        (DIR: --out, default reports/bench). Needs GNU time (apt-get install time).
        """,
        run: run)

    /// One input's medians; seconds per stage, memory in MB.
    struct Row: Codable {
        var input: String
        var series: Int
        var dimensions: String
        var backend: String
        var runs: Int
        var read_s: Double
        var conform_s: Double
        var segment_s: Double
        var postprocess_s: Double
        var write_s: Double
        var report_s: Double
        var other_s: Double
        var total_s: Double
        var peak_rss_mb: Double
    }

    /// run.json stage names, in table order.
    static let stages = ["read", "conform", "network", "postprocess", "write", "report"]

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let runs = try arguments.intOption("--runs", default: 3)
        let json = arguments.flag("--json")
        let backend = try arguments.option("--backend") ?? "auto"
        guard BackendChoice(rawValue: backend) != nil else { throw UsageError("--backend must be auto, cpu or vulkan") }
        let out = try arguments.option("--out") ?? "reports/bench"
        let paths = try arguments.positionals()
        guard !paths.isEmpty else { throw UsageError("give at least one DICOM folder or NIfTI file") }
        for path in paths where !FileManager.default.fileExists(atPath: path) { throw UsageError("\(path): no such file or folder") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-bench-segment-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }

        var rows: [Row] = []
        for (index, path) in paths.enumerated() {
            var samples: [Sample] = []
            for run in 0..<runs {
                let folder = scratch.appendingPathComponent("\(index)-\(run)", isDirectory: true)
                let child = try ChildProcess.run(ChildProcess.selfPath, ["segment", path, "--out", folder.path, "--backend", backend])
                guard child.status == 0 else {
                    throw UsageError("\(path): neurospike segment exited with status \(child.status); run it on this input to see why")
                }
                samples.append(try Sample(folder: folder, child: child, input: path))
                try? FileManager.default.removeItem(at: folder)
            }
            let first = samples[0]
            func middle(_ value: (Sample) -> Double) -> Double { rounded(median(samples.map(value))) }
            rows.append(Row(input: path, series: first.series, dimensions: first.dimensions, backend: first.backend, runs: runs,
                            read_s: middle { $0.stages[0] }, conform_s: middle { $0.stages[1] }, segment_s: middle { $0.stages[2] },
                            postprocess_s: middle { $0.stages[3] }, write_s: middle { $0.stages[4] }, report_s: middle { $0.stages[5] },
                            other_s: middle { $0.seconds - $0.stages.reduce(0, +) }, total_s: middle(\.seconds),
                            peak_rss_mb: middle(\.peakRSSMB)))
        }
        print(table(rows))
        if json {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let url = URL(fileURLWithPath: out).appendingPathComponent("segment.json")
            try Data(try BenchOps.jsonRows(rows).utf8).write(to: url, options: .atomic)
            print("wrote \(url.path)")
        }
        return .success
    }

    /// What one run of segment recorded, summed over the series it segmented.
    struct Sample {
        var stages: [Double]
        var seconds: Double
        var peakRSSMB: Double
        var series: Int
        var dimensions: String
        var backend: String

        init(folder: URL, child: ChildRun, input: String) throws {
            let manager = FileManager.default
            let names = (try? manager.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
            var runs: [[String: Any]] = []
            var findings: [String: Any]?
            for name in names where !name.hasPrefix(".") {
                let seriesFolder = folder.appendingPathComponent(name, isDirectory: true)
                guard let data = try? Data(contentsOf: seriesFolder.appendingPathComponent("run.json")),
                      let run = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], run["complete"] as? Bool == true else { continue }
                runs.append(run)
                if findings == nil, let data = try? Data(contentsOf: seriesFolder.appendingPathComponent("findings.json")) {
                    findings = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                }
            }
            guard !runs.isEmpty else { throw UsageError("\(input): segment wrote no complete series (nothing to segment there?)") }
            stages = BenchSegment.stages.map { stage in
                runs.reduce(0) { $0 + ((($1["seconds_per_stage"] as? [String: Any])?[stage] as? Double) ?? 0) }
            }
            seconds = child.seconds
            peakRSSMB = child.peakRSSMB
            series = runs.count
            let technique = findings?["technique"] as? [String: Any]
            dimensions = ((technique?["dimensions"] as? [Int]) ?? []).map(String.init).joined(separator: "×")
            backend = runs[0]["backend"] as? String ?? "?"
        }
    }

    static func table(_ rows: [Row]) -> String {
        var lines = ["| input | series | voxels | backend | read s | conform s | segment s | post-process s | write s | report s | other s | total s | peak RSS MB |",
                     "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in rows {
            let seconds = [row.read_s, row.conform_s, row.segment_s, row.postprocess_s, row.write_s, row.report_s, row.other_s, row.total_s]
            lines.append("| \(row.input) | \(row.series) | \(row.dimensions) | \(row.backend) | "
                         + seconds.map { String(format: "%.2f", $0) }.joined(separator: " | ")
                         + String(format: " | %.0f |", row.peak_rss_mb))
        }
        return lines.joined(separator: "\n") + "\n\nMedians of \(rows.first?.runs ?? 0) runs per input; other = wall time outside the stages "
            + "(process start, loading the pipeline, scanning the input)."
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
