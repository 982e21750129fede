import Foundation
import LanguageModel

/// The report language shared by the grammar, the language model and the renderer: text runs and slot
/// tokens. Sides and structures are tokens; every number and free-text value is a slot the renderer fills
/// from the findings, so no digit is ever generated.
public enum ReportLanguage {
    public typealias Piece = Tokenizer.Piece

    public static let begin = "<bos>", separator = "<sep>", end = "<eos>"
    /// Prompt-only tokens describing the findings.
    public static let features = ["<f:age>", "<f:sex>", "<f:norms>", "<f:field>", "<f:scanner>", "<f:series>",
                                  "<f:low>", "<f:high>", "<f:mild>", "<f:marked>", "<f:asym>", "<f:qc>"]
    /// Slots the renderer fills: numbers and metadata text.
    public static let valueSlots = ["<volume>", "<percentile>", "<etiv>", "<asymmetry>", "<age>", "<sex>", "<field>",
                                    "<scanner>", "<series>", "<matrix>", "<version>", "<norm-source>", "<qc>", "<authorship>"]
    public static let sides = ["<left>", "<right>"]
    public static let structures = ReportStructure.allCases.map { "<\($0.rawValue)>" }

    /// Every special token, in tokenizer order.
    public static let specials = [begin, separator, end] + features + valueSlots + sides + structures

    static func token(_ side: Side) -> String { "<\(side.rawValue)>" }
    static func token(_ structure: ReportStructure) -> String { "<\(structure.rawValue)>" }

    /// The findings as prompt tokens: what is known, then every abnormality, asymmetry and QC flag in order.
    public static func prompt(_ facts: ReportFacts) -> [Piece] {
        let f = facts.findings
        var names = [begin]
        if f.demographics.ageYears != nil { names.append("<f:age>") }
        if f.demographics.sex != nil { names.append("<f:sex>") }
        if facts.hasNorms { names.append("<f:norms>") }
        if f.technique.fieldStrengthT != nil { names.append("<f:field>") }
        if f.technique.manufacturer != nil { names.append("<f:scanner>") }
        if f.technique.seriesDescription != nil { names.append("<f:series>") }
        for abnormality in facts.abnormalities {
            names += ["<f:\(abnormality.direction.rawValue)>", "<f:\(abnormality.severity.rawValue)>"]
            if abnormality.subject.side != .midline { names.append(token(abnormality.subject.side)) }
            names.append(token(abnormality.subject.structure))
        }
        for asymmetry in facts.asymmetries { names += ["<f:asym>", token(asymmetry.larger), token(asymmetry.structure)] }
        names += Array(repeating: "<f:qc>", count: f.qcFlags.count)
        names.append(separator)
        return names.map { .special($0) }
    }

    /// Marked text split into lines, tokens written by name ("The <left> <hippocampus> measures <volume>.");
    /// the end token is left out. A "<" in text becomes U+FFFD, so text never passes for a token.
    public static func lines(_ pieces: [Piece]) -> [String] {
        var lines: [String] = [], current = ""
        for piece in pieces {
            switch piece {
            case .text(let text):
                for character in text {
                    if character == "\n" {
                        lines.append(current)
                        current = ""
                    } else {
                        current.append(character == "<" ? "\u{FFFD}" : character)
                    }
                }
            case .special(let name):
                if name != end { current += name }
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// Whether a generated token may appear in report text (prompt-only tokens may not).
    public static func isReportToken(_ name: String?) -> Bool {
        guard let name else { return true }
        return !name.hasPrefix("<f:") && name != begin && name != separator
    }
}

/// Builds marked text from templates: `{S}` the subject (side and structure tokens), `{T}` its structure
/// token, `{D}` its side token, `{name}` the slot `<name>`; everything else is text.
struct MarkedText {
    private(set) var pieces: [ReportLanguage.Piece] = []

    mutating func text(_ text: String) {
        guard !text.isEmpty else { return }
        if case .text(let previous) = pieces.last {
            pieces[pieces.count - 1] = .text(previous + text)
        } else {
            pieces.append(.text(text))
        }
    }

    mutating func special(_ name: String) { pieces.append(.special(name)) }

    mutating func emit(_ template: String, _ subject: Subject? = nil, structure: ReportStructure? = nil, side: Side? = nil) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            text(String(rest[..<open]))
            let close = rest[open...].firstIndex(of: "}")!
            let name = String(rest[rest.index(after: open)..<close])
            switch name {
            case "S":
                let subject = subject!
                if subject.side != .midline {
                    special(ReportLanguage.token(subject.side))
                    text(" ")
                }
                special(ReportLanguage.token(subject.structure))
            case "T": special(ReportLanguage.token(structure ?? subject!.structure))
            case "D": special(ReportLanguage.token(side ?? subject!.side))
            default: special("<\(name)>")
            }
            rest = rest[rest.index(after: close)...]
        }
        text(String(rest))
    }
}
