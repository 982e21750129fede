import DICOMIngest
import Foundation
import NeuroImage

/// `neurospike bench convert PATH`: `neurospike convert` against Debian's `dcm2niix -z y` on the same input.
enum BenchConvert {
    static let command = Command(
        name: "convert",
        summary: "time DICOM→NIfTI conversion against dcm2niix on the same series",
        help: """
        usage: neurospike bench convert PATH [--runs N] [--json]

        Runs `neurospike convert PATH` (gzip level 3 on all cores) and `dcm2niix -z y PATH` (its default:
        pigz -6 when pigz is installed, else its built-in compressor) alternately N times (default 5), each as a
        separate process writing gzip-compressed NIfTI to a temporary folder, and prints the median wall
        times, their ratio (neurospike / dcm2niix), and peak resident memory of both, next to the size of the
        volumes converted and the memory of a neurospike process that reads one header of the input (its
        fixed cost: runtime, DCMTK and its data dictionary). Needs dcm2niix and GNU time installed.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let runs = try arguments.intOption("--runs", default: 5)
        let json = arguments.flag("--json")
        let paths = try arguments.positionals()
        guard paths.count == 1, let path = paths.first else { throw UsageError("give one DICOM file or folder") }
        let dcm2niix = "/usr/bin/dcm2niix"
        guard FileManager.default.isExecutableFile(atPath: dcm2niix) else {
            throw UsageError("dcm2niix is not installed (apt-get install dcm2niix)")
        }
        let report = Ingest.scan([URL(fileURLWithPath: path)])
        let volumeMB = report.series.reduce(0.0) { total, series in
            guard case .dicom(let plan) = series else { return total }
            return total + Double(plan.shape.count * 2) / 1_048_576
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        guard case .dicom(let firstPlan)? = report.series.first, let firstFile = firstPlan.files.first else {
            throw UsageError("no DICOM series found in \(path)")
        }
        let baseline = try ChildProcess.run(ChildProcess.selfPath, ["info", firstFile.path])

        var ours: [ChildRun] = []
        var theirs: [ChildRun] = []
        for index in 0..<runs {
            let ourFolder = scratch.appendingPathComponent("neurospike-\(index)")
            let theirFolder = scratch.appendingPathComponent("dcm2niix-\(index)")
            try FileManager.default.createDirectory(at: theirFolder, withIntermediateDirectories: true)
            let mine = try ChildProcess.run(ChildProcess.selfPath, ["convert", path, "--out", ourFolder.path])
            let peer = try ChildProcess.run(dcm2niix, ["-z", "y", "-o", theirFolder.path, path])
            guard mine.status == 0, peer.status == 0 else {
                throw UsageError("a conversion failed (neurospike exit \(mine.status), dcm2niix exit \(peer.status))")
            }
            ours.append(mine)
            theirs.append(peer)
        }
        let ourSeconds = median(ours.map(\.seconds))
        let theirSeconds = median(theirs.map(\.seconds))
        let ourRSS = ours.map(\.peakRSSMB).max() ?? 0
        let row: [String: Double] = [
            "runs": Double(runs),
            "neurospike_s": ourSeconds,
            "dcm2niix_s": theirSeconds,
            "ratio": ourSeconds / theirSeconds,
            "neurospike_peak_rss_mb": ourRSS,
            "dcm2niix_peak_rss_mb": theirs.map(\.peakRSSMB).max() ?? 0,
            "neurospike_baseline_rss_mb": baseline.peakRSSMB,
            "volume_mb": volumeMB,
            "rss_above_baseline_per_volume": volumeMB > 0 ? (ourRSS - baseline.peakRSSMB) / volumeMB : 0,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: row.mapValues { ($0 * 1000).rounded() / 1000 },
                                                  options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("input: \(path) (\(report.series.count) series, \(String(format: "%.1f", volumeMB)) MB of voxels)")
            print("             median s  peak RSS MB")
            print(String(format: "neurospike   %8.3f  %11.1f   (%.1f MB for one header; %.2f× the voxels above that)",
                         ourSeconds, ourRSS, baseline.peakRSSMB, row["rss_above_baseline_per_volume"]!))
            print(String(format: "dcm2niix     %8.3f  %11.1f", theirSeconds, row["dcm2niix_peak_rss_mb"]!))
            print(String(format: "ratio        %8.3f   (neurospike / dcm2niix, median of %d runs each)", ourSeconds / theirSeconds, runs))
        }
        return .success
    }
}
