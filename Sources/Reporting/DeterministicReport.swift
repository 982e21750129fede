import Foundation

/// The report written straight from the findings, without the language model: every number and side
/// comes from `findings.json`. Sections follow structured-reporting order.
public enum DeterministicReport {
    /// Percentiles below this (or above 100 − this) are called abnormal.
    public static let abnormalPercentile = 5.0

    public static func render(_ findings: Findings, softwareVersion: String) -> String {
        var lines: [String] = ["BRAIN MRI VOLUMETRY REPORT", ""]
        lines.append("TECHNIQUE")
        let t = findings.technique
        var technique = "Automated segmentation of a \(t.modality ?? "MR") series"
        if let description = t.seriesDescription { technique += " (\(description))" }
        technique += String(format: ", %d×%d×%d voxels of %.2f×%.2f×%.2f mm", t.dimensions[0], t.dimensions[1], t.dimensions[2],
                            t.voxelSizeMM[0], t.voxelSizeMM[1], t.voxelSizeMM[2])
        if let manufacturer = t.manufacturer { technique += ", \(manufacturer)\(t.model.map { " " + $0 } ?? "")" }
        if let field = t.fieldStrengthT { technique += String(format: ", %.1f T", field) }
        lines.append(technique + ".")
        lines.append("Software: NeuroSpike \(softwareVersion), spiking segmentation network.")
        lines.append("")
        lines.append("FINDINGS")
        lines.append(String(format: "Intracranial volume: %.0f mL (%@).", findings.eTIVML, "segmentation-based"))
        let assessed = findings.structures.filter { $0.norm != nil }
        if assessed.isEmpty {
            lines.append("Normative comparison: not available (\(findings.normativeSource)).")
        }
        for structure in findings.structures {
            var line = String(format: "%@: %.2f mL (%.2f %% of intracranial volume)", structure.name, structure.volumeML, structure.percentOfETIV)
            if let norm = structure.norm { line += String(format: ", %.0fth percentile (z = %.2f)", norm.percentile, norm.z) }
            lines.append(line + ".")
        }
        for asymmetry in findings.asymmetries where abs(asymmetry.indexPercent) >= 10 {
            lines.append(String(format: "%@ asymmetry index %.1f %% (%@ larger).", asymmetry.structure, asymmetry.indexPercent,
                                asymmetry.indexPercent > 0 ? "right" : "left"))
        }
        lines.append("")
        lines.append("IMPRESSION")
        let low = assessed.filter { $0.norm!.percentile < abnormalPercentile }
        let high = assessed.filter { $0.norm!.percentile > 100 - abnormalPercentile }
        if assessed.isEmpty {
            lines.append("Volumes measured; no normative comparison was possible.")
        } else if low.isEmpty && high.isEmpty {
            lines.append(String(format: "All normatively assessed structures lie between the %.0fth and %.0fth percentiles.",
                                abnormalPercentile, 100 - abnormalPercentile))
        } else {
            for structure in low { lines.append(String(format: "Small %@ (%.1fth percentile).", structure.name, structure.norm!.percentile)) }
            for structure in high { lines.append(String(format: "Large %@ (%.1fth percentile).", structure.name, structure.norm!.percentile)) }
        }
        lines.append("")
        lines.append("LIMITATIONS")
        for flag in findings.qcFlags { lines.append("Quality check: \(flag.message).") }
        lines.append("Normative reference: \(findings.normativeSource). These norms describe FreeSurfer 6 volumes; NeuroSpike's volumes differ systematically, so percentiles are indicative.")
        lines.append("This report was written deterministically from the measurements, not by the language model.")
        lines.append("Automated measurements support and do not replace a radiologist's reading; this is not a diagnosis.")
        return lines.joined(separator: "\n") + "\n"
    }
}
