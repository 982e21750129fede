import Foundation

/// Parses a rendered report back into claims and compares them with the findings: every volume,
/// percentile, intracranial volume and asymmetry index it states, every side and direction of an
/// abnormality, "within normal limits" statements, asymmetries, QC flags, claims of missing age or sex,
/// and an empty impression. Anything abnormal in the findings that the text does not state is an omission.
public struct FactChecker {
    public let facts: ReportFacts

    public init(facts: ReportFacts) { self.facts = facts }

    /// One sentence's subjects and statements.
    struct Sentence {
        var subjects: [Subject] = []
        var structuresWithoutSide: [ReportStructure] = []
        var sideWords: [Side] = []
        var directions: Set<Direction> = []
        var severities: Set<Severity> = []
        var normal = false
        var noneAbnormal = false
        var asymmetry = false
        var volumes: [(Subject?, Double)] = []
        var percentiles: [(Subject?, String)] = []
        var intracranialML: [Double] = []
        var percents: [Double] = []
    }

    /// The mismatches between `report` and the findings; empty when every claim holds.
    public func check(_ report: String) -> [String] {
        var problems: [String] = []
        var stated: Set<Subject> = []
        var statedAsymmetries: Set<ReportStructure> = []
        var qcMessages: [String] = []
        for line in report.split(separator: "\n") {
            for raw in Self.sentences(String(line)) {
                let lower = raw.lowercased()
                if lower.hasPrefix("quality control: ") || lower.hasPrefix("qc warning: ") {
                    var message = raw[raw.index(after: raw.firstIndex(of: ":")!)...].trimmingCharacters(in: .whitespaces)
                    if message.hasSuffix(".") { message.removeLast() }
                    qcMessages.append(message)
                    continue
                }
                if lower.hasPrefix("normative reference:") { continue }
                let demographics = facts.findings.demographics
                for claim in Self.missingDemographicsClaims where lower.contains(claim.phrase)
                    && (!claim.deniesAge || demographics.ageYears != nil) && (!claim.deniesSex || demographics.sex != nil) {
                    problems.append("\(claim.problem): \(raw)")
                }
                let sentence = Self.parse(lower)
                problems += verify(sentence, raw: raw, stated: &stated, statedAsymmetries: &statedAsymmetries)
            }
        }
        for abnormality in facts.abnormalities where !stated.contains(abnormality.subject) {
            problems.append("omitted: \(abnormality.subject) is \(abnormality.severity.rawValue)ly \(abnormality.direction == .low ? "small" : "large")")
        }
        for asymmetry in facts.asymmetries where !statedAsymmetries.contains(asymmetry.structure) {
            problems.append("omitted: \(asymmetry.structure.words) asymmetry")
        }
        let lines = report.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        if let heading = lines.firstIndex(of: "IMPRESSION") {
            if lines[(heading + 1)...].first.map(Self.isHeading) ?? true { problems.append("the impression is empty") }
        } else {
            problems.append("no IMPRESSION section")
        }
        let expected = facts.findings.qcFlags.map { $0.message }
        for message in qcMessages where !expected.contains(message) { problems.append("invented QC flag: \(message)") }
        for message in expected where !qcMessages.contains(message) { problems.append("omitted QC flag: \(message)") }
        return problems
    }

    private func verify(_ s: Sentence, raw: String, stated: inout Set<Subject>, statedAsymmetries: inout Set<ReportStructure>) -> [String] {
        var problems: [String] = []
        let f = facts.findings
        for value in s.intracranialML where abs(value - f.eTIVML.rounded()) > 0.5 {
            problems.append("intracranial volume \(value) mL, measured \(String(format: "%.0f", f.eTIVML)) mL: \(raw)")
        }
        for (subject, value) in s.volumes {
            guard let subject, let structure = facts.structure(subject) else {
                problems.append("a volume without one structure: \(raw)")
                continue
            }
            if abs(value - (structure.volumeML * 100).rounded() / 100) > 0.0051 {
                problems.append("\(subject) \(value) mL, measured \(String(format: "%.2f", structure.volumeML)) mL")
            }
        }
        for (subject, text) in s.percentiles {
            guard let subject, let norm = facts.structure(subject)?.norm else {
                problems.append("a percentile without one assessed structure: \(raw)")
                continue
            }
            if text != ReportRenderer.percentileText(norm.percentile) {
                problems.append("\(subject) at the \(text), measured \(ReportRenderer.percentileText(norm.percentile))")
            }
        }
        if s.noneAbnormal && !facts.abnormalities.isEmpty { problems.append("states no abnormality, but there are \(facts.abnormalities.count)") }
        if s.asymmetry {
            guard s.structuresWithoutSide.count == 1, s.sideWords.count == 1, s.subjects.isEmpty else {
                return problems + ["an asymmetry statement without one structure and one side: \(raw)"]
            }
            let structure = s.structuresWithoutSide[0]
            guard let fact = facts.asymmetries.first(where: { $0.structure == structure }) else {
                return problems + ["invented asymmetry of the \(structure.words)"]
            }
            if fact.larger != s.sideWords[0] { problems.append("\(structure.words): \(s.sideWords[0].rawValue) said larger, measured \(fact.larger.rawValue)") }
            for value in s.percents where abs(value - (fact.indexPercent * 10).rounded() / 10) > 0.051 {
                problems.append("\(structure.words) asymmetry \(value) %, measured \(String(format: "%.1f", fact.indexPercent)) %")
            }
            statedAsymmetries.insert(structure)
            return problems
        }
        if !s.percents.isEmpty { problems.append("a percentage outside an asymmetry statement: \(raw)") }
        if s.directions.count > 1 { problems.append("both smaller and larger in one sentence: \(raw)") }
        if !s.structuresWithoutSide.isEmpty && (!s.directions.isEmpty || s.normal) {
            problems.append("a statement about a paired structure without its side: \(raw)")
        }
        for subject in s.subjects {
            let actual = facts.abnormality(of: subject)
            if let direction = s.directions.first {
                guard let actual else {
                    problems.append("invented: \(subject) called \(direction == .low ? "small" : "large")")
                    continue
                }
                if actual.direction != direction { problems.append("\(subject) called \(direction == .low ? "small" : "large"), measured the opposite") }
                if let severity = s.severities.first, s.severities.count == 1, severity != actual.severity {
                    problems.append("\(subject) called \(severity.rawValue)ly abnormal, measured \(actual.severity.rawValue)ly")
                } else if s.severities.count > 1 {
                    problems.append("two severities in one sentence: \(raw)")
                }
                stated.insert(subject)
            } else if s.normal, actual != nil {
                problems.append("\(subject) called normal, but it is abnormal")
            }
        }
        return problems
    }

    /// A section heading: a line of capital letters and spaces ("FINDINGS", "IMPRESSION").
    static func isHeading(_ line: String) -> Bool {
        !line.isEmpty && line.allSatisfy { $0 == " " || ("A"..."Z").contains($0) }
    }

    /// Phrases that claim the scan lacks its age or sex, which of the two each denies, and the problem to
    /// report when everything it denies is in fact recorded.
    static let missingDemographicsClaims: [(phrase: String, deniesAge: Bool, deniesSex: Bool, problem: String)] = [
        ("without age and sex", true, true, "says age and sex are unknown, but both are recorded"),
        ("age or sex unavailable", true, true, "says age and sex are unknown, but both are recorded"),
        ("age and sex were not available", true, true, "says age and sex are unknown, but both are recorded"),
        ("demographic data were not available", true, true, "says age and sex are unknown, but both are recorded"),
        ("age not recorded", true, false, "says the age is unknown, but it is recorded"),
        ("sex not recorded", false, true, "says the sex is unknown, but it is recorded"),
    ]

    /// Splits a line at ". " (a period inside a number never has a space after it).
    static func sentences(_ line: String) -> [String] {
        line.components(separatedBy: ". ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static let structureWords: [(words: [String], structure: ReportStructure)] =
        ReportStructure.allCases.map { ($0.words.split(separator: " ").map(String.init), $0) }

    static func parse(_ sentence: String) -> Sentence {
        let words = sentence.split(whereSeparator: { " ,;:()\"".contains($0) }).map { String($0.hasSuffix(".") ? $0.dropLast() : $0) }
        var s = Sentence()
        var pendingSides: [Side] = []
        var last: Subject?
        var lastWasIntracranial = false
        var index = 0
        func followedBy(_ phrase: [String]) -> Bool {
            index + phrase.count < words.count && Array(words[(index + 1)...(index + phrase.count)]) == phrase
        }
        while index < words.count {
            let word = words[index]
            if let match = structureWords.first(where: { candidate in
                index + candidate.words.count <= words.count && Array(words[index..<(index + candidate.words.count)]) == candidate.words
            }) {
                if match.structure.labels.right == nil {
                    last = Subject(match.structure, .midline)
                    s.subjects.append(last!)
                } else if pendingSides.isEmpty {
                    s.structuresWithoutSide.append(match.structure)
                    last = nil
                } else {
                    let subjects = pendingSides.map { Subject(match.structure, $0) }
                    s.subjects += subjects
                    last = subjects.count == 1 ? subjects[0] : nil
                }
                pendingSides = []
                lastWasIntracranial = false
                index += match.words.count
                continue
            }
            switch word {
            case "left", "right":
                let side = Side(rawValue: word)!
                s.sideWords.append(side)
                pendingSides.append(side)
            case "intracranial":
                lastWasIntracranial = true
            case "reduced", "small", "loss", "atrophy":
                s.directions.insert(.low)
            case "enlarged", "enlargement", "increased":
                s.directions.insert(.high)
            case "below" where followedBy(["the", "normative", "range"]):
                s.directions.insert(.low)
            case "above" where followedBy(["the", "normative", "range"]):
                s.directions.insert(.high)
            case "within":
                s.normal = true
            case "mildly": s.severities.insert(.mild)
            case "markedly": s.severities.insert(.marked)
            case "asymmetry", "asymmetric": s.asymmetry = true
            case "all" where followedBy(["assessed", "structures"]), "no" where followedBy(["volumetric", "abnormality"]):
                s.noneAbnormal = true
            default:
                if let value = Double(word), index + 1 < words.count {
                    if words[index + 1] == "ml" {
                        if lastWasIntracranial { s.intracranialML.append(value) } else { s.volumes.append((last, value)) }
                    } else if words[index + 1] == "%" {
                        s.percents.append(value)
                    }
                } else if word.hasSuffix("st") || word.hasSuffix("nd") || word.hasSuffix("rd") || word.hasSuffix("th"),
                          Int(word.dropLast(2)) != nil, index + 1 < words.count, words[index + 1] == "percentile" {
                    let qualifier = index >= 2 && words[index - 1] == "the" && ["below", "above"].contains(words[index - 2]) ? words[index - 2] + " the " : ""
                    s.percentiles.append((last, qualifier + word + " percentile"))
                }
            }
            index += 1
        }
        return s
    }
}
