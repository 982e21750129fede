import LanguageModel
import TestSupport
import Testing
@testable import Reporting

/// Decoding held to a small set of grammar lines, token by token, with the shipped tokenizer.
struct GrammarConstraintTests {
    let tokenizer: Tokenizer

    init() throws {
        tokenizer = try Tokenizer.load(from: Repository.url("pipelines/brain-t1/tokenizer.json"))
    }

    private func byte(_ character: Character) -> Int32 { Int32(character.asciiValue!) }

    @Test func allowsOnlyTokensThatKeepEveryLineAGrammarLine() throws {
        let stop = try #require(tokenizer.id(ofSpecial: ReportLanguage.end))
        let left = try #require(tokenizer.id(ofSpecial: "<left>")), right = try #require(tokenizer.id(ofSpecial: "<right>"))
        let lines: Set<String> = ["TECHNIQUE", "Done.", "", "FINDINGS", "The <left> <hippocampus> measures <volume>."]
        let constraint = GrammarConstraint(lines: lines, tokenizer: tokenizer, stop: stop)

        #expect(constraint.allows(byte("T"), after: []) && !constraint.allows(byte("X"), after: []))
        #expect(constraint.allows(stop, after: []), "the end may come at a line start")

        let technique = tokenizer.encode([.text("TECHNIQUE\nDone.\n")])
        #expect(!constraint.allows(byte("F"), after: technique), "a heading needs a blank line before it")
        #expect(constraint.allows(byte("\n"), after: technique))
        let blank = technique + [byte("\n")]
        #expect(constraint.allows(byte("F"), after: blank))

        let open = blank + tokenizer.encode([.text("FINDINGS\nThe ")])
        #expect(constraint.allows(left, after: open) && !constraint.allows(right, after: open))
        #expect(!constraint.allows(byte("<"), after: open), "text may not spell a token")
        #expect(!constraint.allows(stop, after: open), "the end may not cut a line")
    }

    @Test func linesSpellTokensByNameAndNeverMatchTextThatLooksLikeOne() {
        let pieces: [ReportLanguage.Piece] = [.text("The "), .special("<left>"), .text(" x\n<left>\n"), .special(ReportLanguage.end)]
        #expect(ReportLanguage.lines(pieces) == ["The <left> x", "\u{FFFD}left>"])
    }
}
