import Foundation
import NeuroImage

/// Writes a validation's tables into a folder: `cases.csv` (case × structure), `summary.csv`,
/// `summary.md` and `summary.json`, each atomically.
public struct ValidationReport {
    public var datasetName: String
    public var results: [CaseResult]
    public var summary: ValidationSummary
    /// Where the scored label maps came from and what made them (pipeline, version, weights hash).
    public var provenance: [String: String]
    public var structureName: (Int32) -> String

    public init(datasetName: String, results: [CaseResult], summary: ValidationSummary, provenance: [String: String],
                structureName: @escaping (Int32) -> String) {
        self.datasetName = datasetName
        self.results = results
        self.summary = summary
        self.provenance = provenance
        self.structureName = structureName
    }

    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.write(Data(casesCSV().utf8), to: folder.appendingPathComponent("cases.csv"))
        try AtomicFile.write(Data(summaryCSV().utf8), to: folder.appendingPathComponent("summary.csv"))
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("summary.md"))
        try AtomicFile.write(try json(), to: folder.appendingPathComponent("summary.json"))
    }

    private func number(_ value: Double, _ digits: Int = 4) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : ""
    }

    /// One row per case and structure; the per-case columns (scoring and segmentation seconds, spike
    /// statistics) repeat on each of the case's rows and are empty where unknown.
    func casesCSV() -> String {
        var lines = ["case,label,name,status,dice,hd95_mm,assd_mm,reference_ml,predicted_ml,volume_difference_percent,"
            + "score_seconds,segment_seconds,zero_count_fraction,silent_slot_fraction"]
        for result in results {
            let run = result.segmentation
            let perCase = [number(result.seconds, 2), run.map { number($0.seconds, 2) } ?? "",
                           run?.zeroCountFraction.map { number($0) } ?? "", run?.silentSlotFraction.map { number($0) } ?? ""]
            if let failure = result.failure {
                lines.append((["\(result.id)", "", "", "failed: \(failure.replacingOccurrences(of: ",", with: ";"))",
                               "", "", "", "", "", ""] + perCase).joined(separator: ","))
                continue
            }
            for score in result.scores {
                lines.append(([result.id, String(score.label), structureName(score.label), score.status.rawValue,
                               number(score.dice), number(score.hd95MM, 3), number(score.assdMM, 3),
                               number(score.referenceVolumeML, 3), number(score.predictedVolumeML, 3),
                               number(score.volumeDifferencePercent, 2)] + perCase).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func summaryCSV() -> String {
        var lines = ["label,name,n,dice_mean,dice_sd,dice_median,hd95_mean_mm,hd95_sd_mm,hd95_median_mm,assd_mean_mm,assd_sd_mm,assd_median_mm,volume_difference_mean_percent,failures,both_empty"]
        for s in summary.structures {
            lines.append([String(s.label), structureName(s.label), String(s.dice.n),
                          number(s.dice.mean), number(s.dice.sd), number(s.dice.median),
                          number(s.hd95MM.mean, 3), number(s.hd95MM.sd, 3), number(s.hd95MM.median, 3),
                          number(s.assdMM.mean, 3), number(s.assdMM.sd, 3), number(s.assdMM.median, 3),
                          number(s.volumeDifferencePercent.mean, 2), String(s.failures), String(s.bothEmpty)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func markdown() -> String {
        var text = "# Validation: \(datasetName)\n\n"
        for key in provenance.keys.sorted() { text += "- \(key): \(provenance[key]!)\n" }
        text += "- cases scored: \(summary.scoredCases) of \(results.count)"
        if !summary.failedCases.isEmpty { text += " (failed: \(summary.failedCases.joined(separator: ", ")))" }
        text += "\n- mean Dice over \(summary.structures.count) structures: \(number(summary.meanDice, 3))\n"
        text += "- mean Dice over the 14 subcortical structures: \(number(summary.subcorticalMeanDice, 3))\n"
        let seconds = results.map(\.seconds)
        if !seconds.isEmpty {
            text += "- scoring time per case: \(number(seconds.reduce(0, +) / Double(seconds.count), 2)) s mean\n"
        }
        if summary.segmentSeconds.n > 0 {
            text += "- segmentation time per case (reading the image through post-processing): "
            text += "\(number(summary.segmentSeconds.mean, 2)) s mean, \(number(summary.segmentSeconds.median, 2)) s median "
            text += "over \(summary.segmentSeconds.n) cases\n"
        }
        if summary.zeroCountFraction.n > 0 {
            text += "- spike statistics, mean over cases: zero-count fraction \(number(summary.zeroCountFraction.mean, 3)), "
            text += "silent-slot fraction \(number(summary.silentSlotFraction.mean, 3))\n"
        }
        text += """

        Dice = 2|A∩B|/(|A|+|B|). Distances run between the surface voxels of reference and prediction \
        (mask voxels with a face neighbour outside), in mm; HD95 is the larger of the two directed 95th \
        percentiles, ASSD the mean of all directed distances. Structures absent from both maps are left out \
        and counted; absent from one: Dice 0, distances undefined, counted as failures.

        | label | structure | n | Dice mean ± SD | Dice median | HD95 mm mean ± SD | ASSD mm mean ± SD | volume diff % | failures |
        | ---: | --- | ---: | --- | ---: | --- | --- | ---: | ---: |

        """
        for s in summary.structures {
            text += "| \(s.label) | \(structureName(s.label)) | \(s.dice.n) | \(number(s.dice.mean, 3)) ± \(number(s.dice.sd, 3)) | "
            text += "\(number(s.dice.median, 3)) | \(number(s.hd95MM.mean, 2)) ± \(number(s.hd95MM.sd, 2)) | "
            text += "\(number(s.assdMM.mean, 2)) ± \(number(s.assdMM.sd, 2)) | \(number(s.volumeDifferencePercent.mean, 1)) | \(s.failures) |\n"
        }
        if !summary.testRetestPercent.isEmpty {
            text += "\nTest–retest volume difference (mean over repeated scans of one subject, %):\n\n"
            for label in summary.testRetestPercent.keys.sorted() {
                text += "- \(structureName(label)): \(number(summary.testRetestPercent[label]!, 2))\n"
            }
        }
        return text
    }

    func json() throws -> Data {
        func finite(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
        var perLabel: [String: Any] = [:]
        for s in summary.structures {
            perLabel[String(s.label)] = [
                "name": structureName(s.label), "n": s.dice.n,
                "dice_mean": finite(s.dice.mean), "dice_sd": finite(s.dice.sd), "dice_median": finite(s.dice.median),
                "hd95_mean_mm": finite(s.hd95MM.mean), "hd95_median_mm": finite(s.hd95MM.median),
                "assd_mean_mm": finite(s.assdMM.mean), "volume_difference_mean_percent": finite(s.volumeDifferencePercent.mean),
                "failures": s.failures, "both_empty": s.bothEmpty,
            ] as [String: Any]
        }
        let object: [String: Any] = [
            "dataset": datasetName,
            "mean_dice": finite(summary.meanDice),
            "subcortical_mean_dice": finite(summary.subcorticalMeanDice),
            "per_label": perLabel,
            "cases": results.count,
            "scored_cases": summary.scoredCases,
            "failed_cases": summary.failedCases,
            "score_seconds_per_case": Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0.seconds) }),
            "segmentation": segmentationJSON(),
            "test_retest_volume_difference_percent": Dictionary(uniqueKeysWithValues: summary.testRetestPercent.map { (String($0.key), $0.value) }),
            "provenance": provenance,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Per-case segmentation seconds and spike statistics with their means, or null when none is known.
    private func segmentationJSON() -> Any {
        guard summary.segmentSeconds.n > 0 else { return NSNull() }
        func finite(_ value: Double?) -> Any {
            guard let value, value.isFinite else { return NSNull() }
            return value
        }
        var perCase: [String: Any] = [:]
        for result in results {
            guard let run = result.segmentation else { continue }
            perCase[result.id] = ["seconds": run.seconds, "zero_count_fraction": finite(run.zeroCountFraction),
                                  "silent_slot_fraction": finite(run.silentSlotFraction)]
        }
        let zero = summary.zeroCountFraction, silent = summary.silentSlotFraction
        return [
            "per_case": perCase,
            "seconds_mean": finite(summary.segmentSeconds.mean),
            "seconds_median": finite(summary.segmentSeconds.median),
            "zero_count_fraction_mean": finite(zero.n > 0 ? zero.mean : nil),
            "silent_slot_fraction_mean": finite(silent.n > 0 ? silent.mean : nil),
        ] as [String: Any]
    }
}
