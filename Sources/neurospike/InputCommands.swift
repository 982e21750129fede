import DICOMIngest
import Foundation
import NeuroImage

/// `neurospike info PATH…`: lists the series found, without writing anything.
enum InfoCommand {
    static let command = Command(
        name: "info",
        summary: "list the series found in DICOM/NIfTI files and folders",
        help: """
        usage: neurospike info PATH… [--allow-irregular]

        Scans files and folders (recursively) and prints one row per series: output name, series number,
        description, modality, dimensions, voxel size (mm), orientation (axis codes of i, j, k), file count,
        SeriesInstanceUID; warnings follow their series. Problems go to stderr, one line each.

          --allow-irregular   accept series whose slice spacing is irregular (listed with a warning)

        Exit codes: 0 all inputs readable, 1 some inputs failed, 2 nothing found or usage error.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let allowIrregular = arguments.flag("--allow-irregular")
        let paths = try arguments.positionals()
        guard !paths.isEmpty else { throw UsageError("give at least one file or folder") }
        let report = Ingest.scan(paths.map { URL(fileURLWithPath: $0) }, allowIrregular: allowIrregular)
        let names = SafeName.unique(report.series.map(\.label))
        var rows: [[String]] = [["name", "series", "description", "modality", "dimensions", "voxel (mm)", "orient", "files", "series UID"]]
        var notes: [Int: [String]] = [:]
        for (index, series) in report.series.enumerated() {
            switch series {
            case .dicom(let plan):
                let s = plan.affine.spacingMM
                rows.append([names[index], plan.seriesNumber.map(String.init) ?? "-", plan.seriesDescription ?? "-",
                             plan.modality ?? "-", plan.shape.description, format(s), plan.affine.orientationCode,
                             String(plan.fileCount), plan.seriesUID])
                notes[rows.count - 1] = plan.warnings
            case .nifti(let url):
                do {
                    let volume = try Ingest.load(series)
                    rows.append([names[index], "-", url.lastPathComponent, "-", volume.shape.description,
                                 format(volume.spacingMM), volume.affine.orientationCode, "1", "-"])
                } catch {
                    printError(error.description)
                }
            }
        }
        printTable(rows, notes: notes)
        print("\(report.series.count) series; skipped \(report.skippedNonDICOM) non-DICOM file(s) and \(report.skippedNonImage) DICOM object(s) without pixel data")
        report.failureLines.forEach(printError)
        if report.series.isEmpty { return .usage }
        return report.failures.isEmpty ? .success : .someFailed
    }

    private static func format(_ spacing: SIMD3<Double>) -> String {
        [spacing.x, spacing.y, spacing.z].map { String(format: "%.3g", $0) }.joined(separator: "×")
    }

    private static func printTable(_ rows: [[String]], notes: [Int: [String]]) {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            for note in notes[index] ?? [] { print("    warning: \(note)") }
        }
    }
}

/// `neurospike convert PATH… --out DIR`: writes each series as NIfTI plus a JSON sidecar.
enum ConvertCommand {
    static let command = Command(
        name: "convert",
        summary: "write each series as DIR/<name>.nii.gz with a JSON sidecar",
        help: """
        usage: neurospike convert PATH… --out DIR [--allow-irregular]

        Scans files and folders (recursively) for DICOM series and NIfTI files and writes each series as
        DIR/<name>.nii.gz (voxel → RAS+ mm in sform and qform) and DIR/<name>.json (BIDS-style metadata;
        never the patient's name or ID). <name> is <SeriesNumber>_<SeriesDescription> made safe
        ([A-Za-z0-9._-] only) and unique. Files appear complete or not at all.

          --out DIR           output folder (created if needed)
          --allow-irregular   write series with missing or irregular slices on a regular grid, with a warning

        Exit codes: 0 all converted, 1 some inputs failed (the rest were converted), 2 nothing converted.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        let allowIrregular = arguments.flag("--allow-irregular")
        let paths = try arguments.positionals()
        guard !paths.isEmpty else { throw UsageError("give at least one file or folder") }
        let outputFolder = URL(fileURLWithPath: out, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        } catch {
            printError("neurospike convert: cannot create \(out): \(error.localizedDescription)")
            return .usage
        }
        let report = Ingest.scan(paths.map { URL(fileURLWithPath: $0) }, allowIrregular: allowIrregular)
        report.failureLines.forEach { printError("neurospike convert: \($0)") }
        let converted = Converter.convert(report.series, into: outputFolder)
        for line in converted.lines { print(line) }
        converted.failures.forEach { printError("neurospike convert: \($0)") }
        let written = converted.lines.count
        if written == 0 { return .usage }
        return report.failures.isEmpty && converted.failures.isEmpty ? .success : .someFailed
    }
}

/// Writes series as NIfTI + JSON, one at a time so memory stays bounded by one series.
enum Converter {
    static func convert(_ series: [InputSeries], into folder: URL) -> (lines: [String], failures: [InputFailure]) {
        let names = SafeName.unique(series.map(\.label))
        var lines: [String] = []
        var failures: [InputFailure] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for (series, name) in zip(series, names) {
            do {
                let volume = try Ingest.load(series)
                let image = folder.appendingPathComponent(name + ".nii.gz")
                try NIfTI.write(volume, to: image)
                let sidecar = try encoder.encode(Ingest.sidecar(for: series, softwareVersion: neurospikeVersion))
                try AtomicFile.write(sidecar + Data("\n".utf8), to: folder.appendingPathComponent(name + ".json"))
                var line = "\(name): \(volume.shape) voxels \(volume.affine.orientationCode)"
                if case .dicom(let plan) = series, !plan.warnings.isEmpty {
                    line += " (warnings: " + plan.warnings.joined(separator: "; ") + ")"
                }
                lines.append(line)
            } catch let failure as InputFailure {
                failures.append(failure)
            } catch let failure as NIfTIError {
                failures.append(InputFailure(file: URL(fileURLWithPath: failure.path), problem: failure.problem))
            } catch {
                failures.append(InputFailure(file: folder.appendingPathComponent(name), problem: "\(error)"))
            }
        }
        return (lines, failures)
    }
}
