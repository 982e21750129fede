import Foundation
import Reporting

/// Writes `report.txt` from the findings: with the bundle's spiking language model when there is one and
/// it is wanted, else deterministically. Returns the text and its `run.json` entry.
public enum ReportStep {
    public static func write(_ findings: Findings, bundle: PipelineBundle, useLanguageModel: Bool, softwareVersion: String,
                             threads: Int) -> (text: String, provenance: [String: Any]) {
        guard useLanguageModel, let reportModel = bundle.reportModel else {
            return (ReportWriter.deterministic(findings, softwareVersion: softwareVersion),
                    ["writer": "deterministic", "fallback": false,
                     "reason": useLanguageModel ? "the bundle has no report model" : "language model turned off (--no-report)"])
        }
        let writer = ReportWriter(tokenizer: reportModel.tokenizer, model: reportModel.model, threads: threads)
        let report = writer.write(findings, softwareVersion: softwareVersion)
        var provenance: [String: Any] = [
            "writer": report.writer, "fallback": report.fallback, "attempts": report.attempts,
            "rejected_drafts": report.rejections, "seconds": report.seconds,
            "model_sha256": reportModel.weightsHash,
        ]
        if let zero = report.zeroCountFraction, let silent = report.silentSlotFraction {
            provenance["spikes"] = ["zero_count_fraction": zero, "silent_slot_fraction": silent]
        }
        return (report.text, provenance)
    }
}
