import Foundation

/// Fills the slots of marked report text from the findings. A value slot binds to the subject named last
/// (side tokens then a structure token); a slot that cannot bind (no subject, two sides, no such value)
/// makes the text unusable, never a guess.
public struct ReportRenderer {
    public enum Authorship: Sendable {
        case languageModel, deterministic

        var sentence: String {
            switch self {
            case .languageModel:
                return "This text was written by NeuroSpike's spiking language model; every number, side and finding in it was checked against the measurements."
            case .deterministic:
                return "This text was composed deterministically from the measurements."
            }
        }
    }

    public struct RenderError: Error, CustomStringConvertible {
        public let description: String
    }

    public let facts: ReportFacts
    public let softwareVersion: String
    public let authorship: Authorship

    public init(facts: ReportFacts, softwareVersion: String, authorship: Authorship) {
        self.facts = facts
        self.softwareVersion = softwareVersion
        self.authorship = authorship
    }

    public func render(_ pieces: [ReportLanguage.Piece]) throws -> String {
        var text = ""
        var pendingSides: [Side] = []
        var current: (structure: ReportStructure, sides: [Side])?
        var qcIndex = 0
        let f = facts.findings
        func subject(for slot: String) throws -> Subject {
            guard let current else { throw RenderError(description: "\(slot) follows no structure") }
            if current.structure.labels.right == nil { return Subject(current.structure, .midline) }
            guard current.sides.count == 1 else { throw RenderError(description: "\(slot) after \(current.sides.count) sides of the \(current.structure.words)") }
            return Subject(current.structure, current.sides[0])
        }
        func structure(for subject: Subject, slot: String) throws -> Findings.Structure {
            guard let structure = facts.structure(subject) else { throw RenderError(description: "\(slot): no \(subject) in the findings") }
            return structure
        }
        for piece in pieces {
            switch piece {
            case .text(let run):
                text += run
            case .special(let name):
                if let side = Side(rawValue: String(name.dropFirst().dropLast())), side != .midline {
                    pendingSides.append(side)
                    text += side.rawValue
                    continue
                }
                if let named = ReportStructure(rawValue: String(name.dropFirst().dropLast())) {
                    current = (named, pendingSides)
                    pendingSides = []
                    text += named.words
                    continue
                }
                switch name {
                case "<volume>":
                    let s = try subject(for: name)
                    text += String(format: "%.2f mL", try structure(for: s, slot: name).volumeML)
                case "<percentile>":
                    let s = try subject(for: name)
                    guard let norm = try structure(for: s, slot: name).norm else { throw RenderError(description: "no percentile for the \(s)") }
                    text += Self.percentileText(norm.percentile)
                case "<asymmetry>":
                    guard let current, let fact = facts.asymmetries.first(where: { $0.structure == current.structure }) else {
                        throw RenderError(description: "<asymmetry> for a structure without a notable asymmetry")
                    }
                    text += String(format: "%.1f %%", fact.indexPercent)
                case "<etiv>": text += String(format: "%.0f mL", f.eTIVML)
                case "<age>":
                    guard let age = f.demographics.ageYears else { throw RenderError(description: "<age> without an age") }
                    text += String(format: "%.0f", age)
                case "<sex>":
                    guard let sex = f.demographics.sex else { throw RenderError(description: "<sex> without a sex") }
                    text += sex == "F" ? "female" : sex == "M" ? "male" : "sex \(sex)"
                case "<field>":
                    guard let field = f.technique.fieldStrengthT else { throw RenderError(description: "<field> without a field strength") }
                    text += String(format: "%.1f T", field)
                case "<scanner>":
                    guard let maker = f.technique.manufacturer else { throw RenderError(description: "<scanner> without a manufacturer") }
                    text += maker + (f.technique.model.map { " " + $0 } ?? "")
                case "<series>":
                    guard let series = f.technique.seriesDescription else { throw RenderError(description: "<series> without a description") }
                    text += "\"\(series)\""
                case "<matrix>":
                    let t = f.technique
                    text += String(format: "%d×%d×%d voxels of %.2f×%.2f×%.2f mm", t.dimensions[0], t.dimensions[1], t.dimensions[2],
                                   t.voxelSizeMM[0], t.voxelSizeMM[1], t.voxelSizeMM[2])
                case "<version>": text += softwareVersion
                case "<norm-source>": text += f.normativeSource
                case "<qc>":
                    guard qcIndex < f.qcFlags.count else { throw RenderError(description: "more QC slots than QC flags") }
                    text += f.qcFlags[qcIndex].message
                    qcIndex += 1
                case "<authorship>": text += authorship.sentence
                case ReportLanguage.end: break
                default: throw RenderError(description: "\(name) cannot appear in a report")
                }
            }
        }
        return Self.capitalisingSentences(text)
    }

    /// "12th percentile", "below the 1st percentile", "above the 99th percentile".
    static func percentileText(_ percentile: Double) -> String {
        if percentile < 1 { return "below the 1st percentile" }
        if percentile > 99 { return "above the 99th percentile" }
        let value = Int(percentile.rounded())
        let suffix = (11...13).contains(value % 100) ? "th" : value % 10 == 1 ? "st" : value % 10 == 2 ? "nd" : value % 10 == 3 ? "rd" : "th"
        return "\(value)\(suffix) percentile"
    }

    /// Upper-cases the first letter of each line and after ". ".
    static func capitalisingSentences(_ text: String) -> String {
        var result = ""
        var atStart = true
        var previous: Character = "\n"
        for character in text {
            if atStart && character.isLetter {
                result += character.uppercased()
                atStart = false
            } else {
                result.append(character)
                if character == "\n" || (character == " " && previous == ".") { atStart = true } else if character != " " { atStart = false }
            }
            previous = character
        }
        return result
    }
}
