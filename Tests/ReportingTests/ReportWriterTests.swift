import Foundation
import LanguageModel
import Tensor
import TestSupport
import Testing
@testable import Reporting

/// The shipped report model drafting reports for sampled findings, every draft checked.
struct ReportWriterTests {
    let writer: ReportWriter
    let sampler: FindingsSampler

    init() throws {
        let bundle = Repository.url("pipelines/brain-t1")
        writer = ReportWriter(tokenizer: try Tokenizer.load(from: bundle.appendingPathComponent("tokenizer.json")),
                              model: try LanguageModel(contentsOf: bundle.appendingPathComponent("report-lm.safetensors")), threads: 2)
        sampler = FindingsSampler(norms: try NormativeModels(contentsOf: bundle.appendingPathComponent("norms/nomis-fs6.json")))
    }

    @Test func everyDeliveredReportOf200RecordsPassesTheChecker() {
        var generator = SeededGenerator(seed: 77)
        var fallbacks = 0, firstDrafts = 0
        var reasons: [String: Int] = [:]
        for _ in 0..<200 {
            let findings = sampler.sample(using: &generator)
            let report = writer.write(findings, softwareVersion: "test")
            #expect(FactChecker(facts: ReportFacts(findings)).check(report.text) == [], "\(report.text)")
            #expect(report.text.contains("this is not a diagnosis") && report.text.contains("NeuroSpike test"))
            fallbacks += report.fallback ? 1 : 0
            firstDrafts += report.attempts == 1 && !report.fallback ? 1 : 0
            for rejection in report.rejections { reasons[String(rejection.prefix(40)), default: 0] += 1 }
        }
        print("report model on 200 sampled findings: \(firstDrafts) passed at the first draft, \(fallbacks) fell back; rejections: \(reasons.sorted { $0.value > $1.value }.prefix(6))")
        #expect(fallbacks < 100, "the model should deliver most reports itself")
    }

    @Test func coarseScansWithWithheldPercentilesGetCheckedReportsMostlyFromTheModel() {
        var generator = SeededGenerator(seed: 31)
        var coarse = 0, fallbacks = 0
        while coarse < 40 {
            let findings = sampler.sample(using: &generator)
            guard findings.technique.voxelSizeMM.reduce(1, *) > FindingsBuilder.maxNormVoxelMM3 else { continue }
            coarse += 1
            #expect(findings.structures.allSatisfy { $0.norm == nil } && findings.normativeSource.contains("coarser"))
            let report = writer.write(findings, softwareVersion: "test")
            #expect(FactChecker(facts: ReportFacts(findings)).check(report.text) == [], "\(report.text)")
            fallbacks += report.fallback ? 1 : 0
        }
        print("report model on 40 coarse scans: \(fallbacks) fell back")
        #expect(fallbacks < 20, "the model should write most coarse-scan reports itself")
    }

    @Test func seededReportsAreDeterministic() {
        var generator = SeededGenerator(seed: 5)
        let findings = sampler.sample(using: &generator)
        let first = writer.write(findings, softwareVersion: "test", seed: 9)
        let again = writer.write(findings, softwareVersion: "test", seed: 9)
        #expect(first.text == again.text && first.attempts == again.attempts)
    }
}
