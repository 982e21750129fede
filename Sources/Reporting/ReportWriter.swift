import CPUBackend
import Foundation
import LanguageModel
import Spiking

/// A report and how it came to be, for `report.txt` and `run.json`.
public struct WrittenReport: Sendable {
    public var text: String
    /// "spiking language model" or "deterministic".
    public var writer: String
    /// Language-model drafts tried.
    public var attempts: Int
    /// Whether the deterministic rendering was delivered because no draft passed the checker.
    public var fallback: Bool
    /// Why each rejected draft failed (first problem of each).
    public var rejections: [String]
    public var zeroCountFraction: Double?
    public var silentSlotFraction: Double?
    public var seconds: Double
}

/// Writes reports with the spiking language model: the findings become a prompt, the model drafts marked
/// text (greedily first; slots with no value in the findings are masked out, and decoding is held to the
/// lines the report grammar can write for these findings, so no garbled or invented sentence is drafted),
/// the renderer fills the slots and the fact checker compares every claim with the findings. A draft that
/// fails is resampled at `temperature` with the next seed; after `maxAttempts` the canonical grammar's
/// rendering is delivered instead.
public final class ReportWriter {
    public let tokenizer: Tokenizer
    public let decoder: Decoder
    public var maxAttempts = 4
    public var temperature: Float = 0.6
    public var maxTokens = 1500

    public init(tokenizer: Tokenizer, model: LanguageModel, threads: Int) {
        precondition(tokenizer.vocabularySize == model.configuration.vocabularySize, "tokenizer and model disagree on the vocabulary")
        self.tokenizer = tokenizer
        decoder = Decoder(model: model, backend: CPUBackend(threadCount: threads))
    }

    /// The deterministic report: the canonical grammar rendered from the findings (the tests hold it to the checker).
    public static func deterministic(_ findings: Findings, softwareVersion: String) -> String {
        let facts = ReportFacts(findings)
        let renderer = ReportRenderer(facts: facts, softwareVersion: softwareVersion, authorship: .deterministic)
        do {
            return try renderer.render(ReportGrammar.canonical.compose(facts))
        } catch {
            preconditionFailure("the canonical grammar produced an unrenderable report: \(error)")
        }
    }

    /// Slots with nothing to fill for these findings; decoding never offers them.
    static func unavailableSlots(_ facts: ReportFacts) -> Set<String> {
        let f = facts.findings
        var slots: Set<String> = []
        if f.technique.fieldStrengthT == nil { slots.insert("<field>") }
        if f.technique.manufacturer == nil { slots.insert("<scanner>") }
        if f.technique.seriesDescription == nil { slots.insert("<series>") }
        if f.demographics.ageYears == nil { slots.insert("<age>") }
        if f.demographics.sex == nil { slots.insert("<sex>") }
        if !facts.hasNorms { slots.insert("<percentile>") }
        if facts.asymmetries.isEmpty { slots.insert("<asymmetry>") }
        if f.qcFlags.isEmpty { slots.insert("<qc>") }
        return slots
    }

    /// The marked text the model drafts for `findings`, every line one of `lines` (`GrammarConstraint`):
    /// greedy when `temperature` is 0, else sampled with `seed`.
    public func draft(_ facts: ReportFacts, lines: Set<String>, temperature: Float, seed: UInt64) -> [ReportLanguage.Piece] {
        let prompt = tokenizer.encode(ReportLanguage.prompt(facts))
        let stop = tokenizer.id(ofSpecial: ReportLanguage.end)!
        let unavailable = Self.unavailableSlots(facts)
        let constraint = GrammarConstraint(lines: lines, tokenizer: tokenizer, stop: stop)
        let ids = decoder.generate(prompt: prompt, stop: stop, maxTokens: maxTokens, temperature: temperature, seed: seed) { [tokenizer] output, id in
            let special = tokenizer.special(of: id)
            return ReportLanguage.isReportToken(special) && !unavailable.contains(special ?? "")
                && constraint.allows(id, after: output)
        }
        return tokenizer.decode(ids)
    }

    public func write(_ findings: Findings, softwareVersion: String, seed: UInt64 = 1) -> WrittenReport {
        let start = Date()
        let facts = ReportFacts(findings)
        let renderer = ReportRenderer(facts: facts, softwareVersion: softwareVersion, authorship: .languageModel)
        let checker = FactChecker(facts: facts)
        let grammarLines = ReportGrammar.possibleLines(facts)
        var rejections: [String] = []
        var statistics = SpikeStatistics(maxCount: Int(decoder.model.configuration.maxSpikeCount))
        let spiking = decoder.model.configuration.spiking
        for attempt in 0..<maxAttempts {
            let pieces = draft(facts, lines: grammarLines, temperature: attempt == 0 ? 0 : temperature, seed: seed &+ UInt64(attempt))
            statistics.merge(decoder.statistics)
            var problems = ReportLanguage.lines(pieces).filter { !grammarLines.contains($0) }
                .map { "not a sentence the grammar writes for these findings: \($0)" }
            var text = ""
            do {
                text = try renderer.render(pieces)
                problems += checker.check(text)
            } catch {
                problems.append("unrenderable: \(error)")
            }
            if problems.isEmpty {
                return WrittenReport(text: text, writer: "spiking language model", attempts: attempt + 1, fallback: false, rejections: rejections,
                                     zeroCountFraction: spiking ? statistics.zeroCountFraction : nil,
                                     silentSlotFraction: spiking ? statistics.silentSlotFraction : nil, seconds: Date().timeIntervalSince(start))
            }
            rejections.append(problems[0])
        }
        return WrittenReport(text: Self.deterministic(findings, softwareVersion: softwareVersion), writer: "deterministic", attempts: maxAttempts,
                             fallback: true, rejections: rejections, zeroCountFraction: spiking ? statistics.zeroCountFraction : nil,
                             silentSlotFraction: spiking ? statistics.silentSlotFraction : nil, seconds: Date().timeIntervalSince(start))
    }
}
