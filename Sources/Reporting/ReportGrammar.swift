import Foundation
import Tensor

/// The report grammar: from the facts to marked text (ReportLanguage), in structured-reporting order
/// (Technique, Findings, Impression, Limitations) with a fixed vocabulary of directions, severities and
/// certainty phrases. `choose(n)` picks one of `n` phrasings; always 0 gives the canonical report, the
/// deterministic fallback; random choices give the language model's training corpus.
public struct ReportGrammar {
    var choose: (Int) -> Int

    public init(choose: @escaping (Int) -> Int) { self.choose = choose }

    public static var canonical: ReportGrammar { ReportGrammar { _ in 0 } }

    public static func random<G: RandomNumberGenerator>(_ generator: G) -> ReportGrammar {
        var generator = generator
        return ReportGrammar { Int.random(in: 0..<$0, using: &generator) }
    }

    /// Every line (`ReportLanguage.lines`) the grammar can write for these facts: the union of `samples`
    /// random compositions. A line combines fewer than 18 phrasings (at most two forms × three direction
    /// words × three certainty phrases), so 1,024 compositions miss one with a chance below (17/18)^1024 ≈ 10⁻²⁵.
    public static func possibleLines(_ facts: ReportFacts, samples: Int = 1024) -> Set<String> {
        var lines: Set<String> = []
        for seed in 0..<samples {
            lines.formUnion(ReportLanguage.lines(random(SeededGenerator(seed: UInt64(seed))).compose(facts)))
        }
        return lines
    }

    private func pick(_ options: [String]) -> String { options[choose(options.count)] }

    static let lowWords = ["reduced", "below the normative range", "small"]
    static let highWords = ["enlarged", "above the normative range", "increased"]
    static let keyStructures: [ReportStructure] = [.hippocampus, .lateralVentricle]

    /// "mildly reduced", "markedly above the normative range", …; `adjective` keeps to words that can stand
    /// before "volume".
    private func direction(_ abnormality: ReportFacts.Abnormality, adjective: Bool = false) -> String {
        let severity = abnormality.severity == .marked ? "markedly" : "mildly"
        let words = abnormality.direction == .low ? Self.lowWords : Self.highWords
        return severity + " " + pick(adjective ? words.filter { !$0.contains(" ") } : words)
    }

    public func compose(_ facts: ReportFacts) -> [ReportLanguage.Piece] {
        var out = MarkedText()
        let f = facts.findings
        out.text("TECHNIQUE\n")
        let series = f.technique.seriesDescription != nil, scanner = f.technique.manufacturer != nil, field = f.technique.fieldStrengthT != nil
        switch choose(3) {
        case 0:
            out.emit("Automated volumetric analysis of a T1-weighted MRI series" + (series ? " ({series})" : "")
                     + (scanner ? ", acquired on a {scanner}" : "") + (field ? " at {field}" : "") + "; {matrix}.\n")
        case 1:
            out.emit("T1-weighted series" + (series ? " {series}" : "") + (scanner ? " from a {scanner}" : "")
                     + (field ? " ({field})" : "") + ", segmented automatically; {matrix}.\n")
        default:
            out.emit("Volumetric segmentation of the T1-weighted images" + (series ? " ({series})" : "")
                     + (scanner ? ", {scanner}" : "") + (field ? ", {field}" : "") + "; {matrix}.\n")
        }
        switch (f.demographics.ageYears != nil, f.demographics.sex != nil) {
        case (true, true): out.emit(pick(["Patient: {age} years, {sex}.\n", "{age}-year-old {sex} patient.\n"]))
        case (true, false): out.emit("Patient age {age} years; sex not recorded.\n")
        case (false, true): out.emit("Patient sex {sex}; age not recorded.\n")
        case (false, false): out.emit(pick(["Age and sex were not available in the image metadata.\n", "Demographic data were not available.\n"]))
        }
        out.emit(pick(["Software: NeuroSpike {version}, spiking segmentation network.\n", "Analysis software: NeuroSpike {version}.\n"]))

        out.text("\nFINDINGS\n")
        out.emit(pick(["Intracranial volume: {etiv} (segmentation-based).\n", "Segmentation-based intracranial volume is {etiv}.\n",
                       "Total intracranial volume measures {etiv}.\n"]))
        for structure in Self.keyStructures {
            for subject in Subject.all where subject.structure == structure {
                if facts.structure(subject)?.norm == nil {
                    out.emit(pick(["The {S} measures {volume}.\n", "{S} volume: {volume}.\n"]), subject)
                } else if let abnormality = facts.abnormality(of: subject) {
                    out.emit(pick(["The {S} measures {volume} ({percentile}), ", "{S} volume {volume} ({percentile}), "]), subject)
                    out.text(direction(abnormality) + ".\n")
                } else {
                    out.emit(pick(["The {S} measures {volume} ({percentile}), within normal limits.\n",
                                   "{S} volume {volume} ({percentile}), within the normative range.\n"]), subject)
                }
            }
        }
        let others = facts.abnormalities.filter { !Self.keyStructures.contains($0.subject.structure) }
        var index = 0
        while index < others.count {
            let abnormality = others[index]
            let partner = index + 1 < others.count ? others[index + 1] : nil
            if let partner, partner.subject.structure == abnormality.subject.structure, partner.direction == abnormality.direction,
               partner.severity == abnormality.severity, choose(2) == 1 {
                out.emit("The {D} and ", side: .left)
                out.emit("{D} {T} are ", structure: abnormality.subject.structure, side: .right)
                out.text(direction(abnormality) + ".\n")
                index += 2
                continue
            }
            if choose(2) == 0 {
                out.emit("The {S} is ", abnormality.subject)
                out.text(direction(abnormality))
                out.emit(" at {volume} ({percentile}).\n", abnormality.subject)
            } else {
                let words = direction(abnormality, adjective: true)
                out.text(words.prefix(1).uppercased() + words.dropFirst())
                out.emit(" volume of the {S}: {volume} ({percentile}).\n", abnormality.subject)
            }
            index += 1
        }
        if facts.hasNorms {
            out.text(facts.abnormalities.isEmpty
                     ? pick(["All assessed structures are within the normative range.\n", "No volumetric abnormality relative to normative data.\n"])
                     : pick(["The remaining assessed structures are within the normative range.\n", "Other assessed structures are within normal limits.\n"]))
        }
        for asymmetry in facts.asymmetries {
            out.emit(pick(["{T} asymmetry: {D} larger by {asymmetry}.\n", "The {T} is asymmetric, larger on the {D} (asymmetry index {asymmetry}).\n"]),
                     structure: asymmetry.structure, side: asymmetry.larger)
        }

        out.text("\nIMPRESSION\n")
        if !facts.hasNorms {
            out.text(f.demographics.ageYears == nil || f.demographics.sex == nil
                     ? pick(["Volumes measured; no normative comparison was possible without age and sex.\n",
                             "Normative comparison not possible: age or sex unavailable.\n"])
                     : "Volumes measured; no normative comparison was possible for these volumes.\n")
        } else if facts.abnormalities.isEmpty {
            out.text(pick(["No volumetric abnormality relative to normative data.\n",
                           "All assessed structures are within the normative range for age, sex and intracranial volume.\n"]))
        } else {
            for abnormality in facts.abnormalities {
                let form = choose(2)
                let words = direction(abnormality, adjective: form == 0)
                if form == 0 {
                    out.text(words.prefix(1).uppercased() + words.dropFirst())
                    out.emit(" volume of the {S}", abnormality.subject)
                } else {
                    out.emit("{S}: ", abnormality.subject)
                    out.text(words)
                }
                let certainty = abnormality.direction == .low
                    ? ["", ", consistent with volume loss", ", which may reflect atrophy"]
                    : ["", ", consistent with enlargement", ", suggestive of enlargement"]
                out.text(pick(certainty) + ".\n")
            }
        }

        out.text("\nLIMITATIONS\n")
        for _ in f.qcFlags { out.emit(pick(["Quality control: {qc}.\n", "QC warning: {qc}.\n"])) }
        out.emit("Normative reference: {norm-source}.\n")
        out.text(pick(["Volumes come from an automated segmentation; percentiles are indicative.\n",
                       "Percentiles compare automated volumes with FreeSurfer-derived norms and are indicative only.\n"]))
        out.emit("{authorship}\n")
        out.text("Automated measurements support, and do not replace, a radiologist's reading; this is not a diagnosis.\n")
        out.special(ReportLanguage.end)
        return out.pieces
    }
}
