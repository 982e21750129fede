import Foundation
import NeuroImage

/// One series found in the inputs: a planned DICOM series or a NIfTI file.
public enum InputSeries: Sendable {
    case dicom(SeriesPlan)
    case nifti(URL)

    /// The name before it is made safe: `<SeriesNumber>_<SeriesDescription>` or the NIfTI file's stem.
    public var label: String {
        switch self {
        case .dicom(let plan): return plan.label
        case .nifti(let url): return NIfTI.stem(of: url)
        }
    }
}

/// What a scan of the inputs found.
public struct IngestReport: Sendable {
    public var series: [InputSeries] = []
    public var failures: [InputFailure] = []
    /// Files that are not DICOM and not named like DICOM (notes, PDFs, images).
    public var skippedNonDICOM = 0
    /// DICOM objects without pixel data (reports, documents, DICOMDIR).
    public var skippedNonImage = 0

    /// One line per problem; repeated problems of one series are folded into one line naming the first file.
    public var failureLines: [String] {
        var lines: [String] = []
        var seen: [String: Int] = [:]
        var counts: [Int] = []
        for failure in failures {
            guard let uid = failure.seriesUID else {
                lines.append(failure.description)
                counts.append(1)
                continue
            }
            let key = uid + "\u{0}" + failure.problem
            if let index = seen[key] {
                counts[index] += 1
            } else {
                seen[key] = lines.count
                lines.append(failure.description)
                counts.append(1)
            }
        }
        return zip(lines, counts).enumerated().map { index, pair in
            let (line, count) = pair
            guard count > 1, let label = failures.first(where: { $0.description == line })?.seriesLabel else { return line }
            return "\(line) (and \(count - 1) more file\(count == 2 ? "" : "s") of series '\(label)')"
        }
    }
}

/// The door through which scans enter: find series in files and folders, then assemble each into a volume.
public enum Ingest {
    /// Walks `paths` (files or folders, recursively), reads every DICOM header, groups and checks series.
    /// Slices that break a series' grid fail it unless `allowIrregular`.
    public static func scan(_ paths: [URL], allowIrregular: Bool = false) -> IngestReport {
        let found = FolderScan.scan(paths)
        let (plans, planFailures) = SeriesPlanner.plan(found.frames, facts: found.facts,
                                                       options: .init(allowIrregular: allowIrregular))
        var report = IngestReport()
        report.series = plans.map(InputSeries.dicom) + found.niftiFiles.map(InputSeries.nifti)
        report.failures = found.failures + planFailures
        report.skippedNonDICOM = found.skippedNonDICOM
        report.skippedNonImage = found.skippedNonImage
        return report
    }

    /// Decodes a series into a volume (RAS+ affine); throws an `InputFailure` naming the file at fault.
    public static func load(_ series: InputSeries) throws(InputFailure) -> Volume {
        switch series {
        case .dicom(let plan):
            return try VolumeAssembler.assemble(plan)
        case .nifti(let url):
            do {
                return try NIfTI.read(url)
            } catch let error as NIfTIError {
                throw InputFailure(file: url, problem: error.problem)
            } catch {
                throw InputFailure(file: url, problem: "\(error)")
            }
        }
    }

    /// BIDS-style metadata of a series (never the patient's name or ID).
    public static func sidecar(for series: InputSeries, softwareVersion: String) -> [String: SidecarValue] {
        var values: [String: SidecarValue] = [:]
        if case .dicom(let plan) = series { values = plan.sidecar }
        values["ConversionSoftware"] = .text("NeuroSpike")
        values["ConversionSoftwareVersion"] = .text(softwareVersion)
        return values
    }
}

extension SidecarValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number):
            if number == number.rounded() && abs(number) < 1e15 { try container.encode(Int(number)) } else { try container.encode(number) }
        case .texts(let texts): try container.encode(texts)
        }
    }
}
