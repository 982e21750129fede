import Foundation
import Tensor
import TestSupport
import Testing
@testable import Reporting

/// The report grammar, renderer and fact checker on sampled findings records.
struct FactCheckerTests {
    let sampler: FindingsSampler

    init() throws {
        sampler = FindingsSampler(norms: try NormativeModels(contentsOf: Repository.url("pipelines/brain-t1/norms/nomis-fs6.json")))
    }

    private func findings(_ seed: UInt64) -> Findings {
        var generator = SeededGenerator(seed: seed)
        return sampler.sample(using: &generator)
    }

    /// A findings record with at least one abnormal structure and norms.
    private func abnormalFindings() -> (Findings, ReportFacts) {
        for seed in UInt64(1)... {
            let f = findings(seed)
            let facts = ReportFacts(f)
            if facts.hasNorms && !facts.abnormalities.isEmpty && facts.abnormalities.contains(where: { $0.subject.side != .midline }) {
                return (f, facts)
            }
        }
        fatalError("unreachable")
    }

    @Test func everyGrammarPhrasingOf200RecordsPassesTheChecker() throws {
        var abnormal = 0
        for seed in UInt64(0)..<200 {
            let f = findings(seed)
            let facts = ReportFacts(f)
            abnormal += facts.abnormalities.isEmpty ? 0 : 1
            let canonical = ReportWriter.deterministic(f, softwareVersion: "test")
            #expect(FactChecker(facts: facts).check(canonical) == [], "\(canonical)")
            let varied = try ReportRenderer(facts: facts, softwareVersion: "test", authorship: .languageModel)
                .render(ReportGrammar.random(SeededGenerator(seed: seed)).compose(facts))
            #expect(FactChecker(facts: facts).check(varied) == [], "\(varied)")
        }
        #expect(abnormal > 40 && abnormal < 190, "the sampler should mix normal and abnormal records, got \(abnormal) abnormal")
    }

    @Test func possibleLinesHoldEveryComposedLineAndNoGarbledOne() {
        for seed in UInt64(0)..<30 {
            let facts = ReportFacts(findings(seed))
            let possible = ReportGrammar.possibleLines(facts)
            for composition in UInt64(10_000)..<10_020 {
                let lines = ReportLanguage.lines(ReportGrammar.random(SeededGenerator(seed: composition)).compose(facts))
                #expect(lines.allSatisfy(possible.contains), "record \(seed), composition \(composition)")
            }
            #expect(!possible.contains("Volumes measured; no normative comparison was possible for age or sex."))
            #expect(!possible.contains("Patient age year-old <matrix>."))
        }
    }

    @Test func catchesAPlantedWrongVolume() throws {
        let (f, facts) = abnormalFindings()
        let report = ReportWriter.deterministic(f, softwareVersion: "test")
        let subject = Subject(.hippocampus, .left)
        let stated = String(format: "%.2f mL", facts.structure(subject)!.volumeML)
        let planted = report.replacingOccurrences(of: stated, with: String(format: "%.2f mL", facts.structure(subject)!.volumeML + 0.37))
        #expect(planted != report)
        #expect(FactChecker(facts: facts).check(planted).contains { $0.contains("left hippocampus") && $0.contains("mL") })
    }

    @Test func catchesAFlippedSide() throws {
        let (f, facts) = abnormalFindings()
        let abnormality = facts.abnormalities.first { $0.subject.side != .midline }!
        let report = ReportWriter.deterministic(f, softwareVersion: "test")
        let wrong = abnormality.subject.side == .left ? "right" : "left"
        let impression = report.components(separatedBy: "IMPRESSION")
        let flipped = impression[0] + "IMPRESSION" + impression[1].replacingOccurrences(
            of: "\(abnormality.subject.side.rawValue) \(abnormality.subject.structure.words)", with: "\(wrong) \(abnormality.subject.structure.words)")
        #expect(flipped != report)
        #expect(!FactChecker(facts: facts).check(flipped).isEmpty)
    }

    @Test func catchesAnInventedAbnormality() throws {
        let (f, facts) = abnormalFindings()
        let normal = Subject.all.first { facts.abnormality(of: $0) == nil && $0.side != .midline }!
        let report = ReportWriter.deterministic(f, softwareVersion: "test")
            .replacingOccurrences(of: "\nLIMITATIONS", with: "Markedly enlarged volume of the \(normal).\n\nLIMITATIONS")
        #expect(FactChecker(facts: facts).check(report).contains { $0.hasPrefix("invented") })
    }

    @Test func catchesAnOmittedAbnormality() throws {
        let (f, facts) = abnormalFindings()
        let abnormality = facts.abnormalities[0]
        let kept = ReportWriter.deterministic(f, softwareVersion: "test").split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.lowercased().contains(abnormality.subject.description) }
        #expect(FactChecker(facts: facts).check(kept.joined(separator: "\n")).contains { $0.hasPrefix("omitted") })
    }

    @Test func catchesAWrongDirectionAndAFalseAllClear() throws {
        let (f, facts) = abnormalFindings()
        let report = ReportWriter.deterministic(f, softwareVersion: "test")
        let swapped = facts.abnormalities[0].direction == .low
            ? report.replacingOccurrences(of: "reduced", with: "enlarged") : report.replacingOccurrences(of: "enlarged", with: "reduced")
        #expect(!FactChecker(facts: facts).check(swapped).isEmpty)
        let allClear = report.replacingOccurrences(of: "\nLIMITATIONS", with: "All assessed structures are within the normative range.\n\nLIMITATIONS")
        #expect(FactChecker(facts: facts).check(allClear).contains { $0.contains("states no abnormality") })
    }

    @Test func catchesAFalseClaimOfMissingDemographics() throws {
        let (f, facts) = abnormalFindings()
        let report = ReportWriter.deterministic(f, softwareVersion: "test")
            .replacingOccurrences(of: "\nLIMITATIONS", with: "Normative comparison not possible: age or sex unavailable.\n\nLIMITATIONS")
        #expect(FactChecker(facts: facts).check(report).contains { $0.hasPrefix("says age and sex are unknown") })
    }

    @Test func catchesAFalseClaimOfAMissingAgeAndAnEmptyImpression() throws {
        let (f, facts) = abnormalFindings()
        let report = ReportWriter.deterministic(f, softwareVersion: "test")
        #expect(FactChecker(facts: facts).check(report).isEmpty)
        let ageless = report.replacingOccurrences(of: "\nFINDINGS", with: "Patient sex male; age not recorded.\n\nFINDINGS")
        #expect(FactChecker(facts: facts).check(ageless).contains { $0.hasPrefix("says the age is unknown") })
        let impression = try #require(report.range(of: "IMPRESSION\n"))
        let limitations = try #require(report.range(of: "\nLIMITATIONS"))
        let empty = report.replacingCharacters(in: impression.upperBound..<limitations.lowerBound, with: "")
        #expect(FactChecker(facts: facts).check(empty).contains("the impression is empty"))
    }

    @Test func promptsAndReportsCarryNoDigitsOutsideSlots() {
        for seed in UInt64(0)..<50 {
            let facts = ReportFacts(findings(seed))
            for piece in ReportLanguage.prompt(facts) + ReportGrammar.random(SeededGenerator(seed: seed)).compose(facts) {
                if case .text(let text) = piece { #expect(!text.replacingOccurrences(of: "T1-weighted", with: "").contains { $0.isNumber }, "\(text)") }
            }
        }
    }
}
