import Foundation
import LanguageModel
import Testing

@Suite struct TokenizerTests {
    static let corpus = ["The left hippocampus measures 3.45 mL.", "The right hippocampus measures 3.51 mL.",
                         "Mildly reduced volume of the left amygdala.", "Quality control: résumé ok"]

    @Test func roundTripsArbitraryBytes() {
        let tokenizer = Tokenizer.train(texts: Self.corpus, specials: ["<a>", "<b>"], mergeCount: 40)
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 300, 4096] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(tokenizer.decodeBytes(tokenizer.encode(bytes: bytes)) == bytes)
        }
        let text = Array(Self.corpus.joined(separator: "\n").utf8)
        #expect(tokenizer.decodeBytes(tokenizer.encode(bytes: text)) == text)
    }

    @Test func mergesShortenTrainedTextAndNeverProduceSpecials() {
        let tokenizer = Tokenizer.train(texts: Self.corpus, specials: ["<a>"], mergeCount: 60)
        let bytes = Array("The left hippocampus measures".utf8)
        let ids = tokenizer.encode(bytes: bytes)
        #expect(ids.count < bytes.count / 3)
        #expect(tokenizer.encode(bytes: Array("<a>".utf8)).allSatisfy { tokenizer.special(of: $0) == nil })
    }

    @Test func specialsSurviveEncodingAndDecoding() {
        let tokenizer = Tokenizer.train(texts: Self.corpus, specials: ["<left>", "<volume>"], mergeCount: 30)
        let pieces: [Tokenizer.Piece] = [.text("The "), .special("<left>"), .text(" hippocampus measures "), .special("<volume>"), .text(".")]
        #expect(tokenizer.decode(tokenizer.encode(pieces)) == pieces)
    }

    @Test func savesAndLoadsTheSameVocabulary() throws {
        let tokenizer = Tokenizer.train(texts: Self.corpus, specials: ["<a>"], mergeCount: 25)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try tokenizer.write(to: url)
        let loaded = try Tokenizer.load(from: url)
        let bytes = Array(Self.corpus[2].utf8)
        #expect(loaded.encode(bytes: bytes) == tokenizer.encode(bytes: bytes))
        #expect(loaded.vocabularySize == tokenizer.vocabularySize)
    }
}
