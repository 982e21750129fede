import Foundation
import LanguageModel
import Tensor

/// The language model's training corpus: numbered (findings, report) pairs, each drawn from its own seed,
/// so any example can be regenerated without storing the corpus. Examples from `heldOutStart` on are
/// kept for measuring perplexity.
public struct ReportCorpus {
    public let sampler: FindingsSampler
    public let seed: UInt64
    public static let heldOutStart = 100_000_000

    public init(sampler: FindingsSampler, seed: UInt64) {
        self.sampler = sampler
        self.seed = seed
    }

    private func generator(_ index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
    }

    /// The findings record and a randomly phrased report for example `index`.
    public func document(_ index: Int) -> (facts: ReportFacts, prompt: [ReportLanguage.Piece], report: [ReportLanguage.Piece]) {
        var random = generator(index)
        let facts = ReportFacts(sampler.sample(using: &random))
        return (facts, ReportLanguage.prompt(facts), ReportGrammar.random(random).compose(facts))
    }

    public func example(_ index: Int, tokenizer: Tokenizer) -> TrainingSequence {
        let (_, prompt, report) = document(index)
        let promptIds = tokenizer.encode(prompt)
        return TrainingSequence(ids: promptIds + tokenizer.encode(report), scoredFrom: promptIds.count)
    }

    /// A byte-level BPE vocabulary learned from the text runs of `documents` reports.
    public func trainTokenizer(documents: Int, merges: Int) -> Tokenizer {
        let texts = (0..<documents).flatMap { index in
            document(index).report.compactMap { piece -> String? in
                if case .text(let text) = piece { return text } else { return nil }
            }
        }
        return Tokenizer.train(texts: texts, specials: ReportLanguage.specials, mergeCount: merges)
    }
}
