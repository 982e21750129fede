import Foundation
import TestSupport
import Testing
@testable import Reporting

private let oracle = SharedData.url("norms/nomis-fs6/predicted_norms.csv")

struct NormativeModelsTests {
    let models: NormativeModels

    init() throws {
        models = try NormativeModels(contentsOf: Repository.url("pipelines/brain-t1/norms/nomis-fs6.json"))
    }

    /// The oracle's structure names (FreeSurfer capitalisation, "Thalamus" without "-Proper") as model names.
    private func modelName(_ oracleName: String) -> String {
        let lower = oracleName.lowercased()
        return lower.hasSuffix("-thalamus") ? lower + "-proper" : lower
    }

    @Test(.enabled(if: SharedData.has("norms/nomis-fs6/predicted_norms.csv"), SharedData.reason("norms/nomis-fs6")))
    func expectedVolumesAndPercentilesMatchThePublishedTable() throws {
        let rows = try String(contentsOf: oracle, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
        var checked = 0
        for row in rows {
            let f = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let structure = modelName(f[0])
            guard models.structures.contains(structure), let age = Double(f[2]), let etiv = Double(f[3]),
                  let expected = Double(f[4]), let p5 = Double(f[6]), let p95 = Double(f[7]) else { continue }
            let covariates = NormCovariates(ageYears: age, sex: f[1] == "M" ? .male : .female, eTIVmm3: etiv)
            let (mean, sd, logScale) = try #require(models.expectation(structure, covariates))
            let expectedOurs = logScale ? pow(10, mean) : mean
            #expect(abs(expectedOurs - expected) <= 1, "\(f[0]) \(f[1]) \(age): expected \(expectedOurs) vs \(expected)")
            let low = logScale ? pow(10, mean - 1.6448536 * sd) : mean - 1.6448536 * sd
            let high = logScale ? pow(10, mean + 1.6448536 * sd) : mean + 1.6448536 * sd
            // The table rounds to whole mm³ (and its z for 95 % to 1.645): 1 mm³ or 0.01 %, whichever is larger.
            #expect(abs(low - p5) <= max(1, 1e-4 * p5) && abs(high - p95) <= max(1, 1e-4 * p95),
                    "\(f[0]) \(f[1]) \(age): 5–95 % \(low)–\(high) vs \(p5)–\(p95)")
            checked += 1
        }
        #expect(checked > 400)
    }

    @Test func expectedVolumeSitsAtTheFiftiethPercentile() throws {
        let covariates = NormCovariates(ageYears: 70, sex: .female, eTIVmm3: 1_400_000)
        let expected = try #require(models.assess("left-hippocampus", observedMM3: 4000, covariates: covariates)).expectedMM3
        let assessment = try #require(models.assess("left-hippocampus", observedMM3: expected, covariates: covariates))
        #expect(abs(assessment.percentile - 50) < 1e-9)
        #expect(abs(assessment.z) < 1e-9)
    }

    @Test func smallerHippocampusHasLowerPercentileAndOlderAgeExpectsLess() throws {
        let young = NormCovariates(ageYears: 30, sex: .male, eTIVmm3: 1_600_000)
        let old = NormCovariates(ageYears: 85, sex: .male, eTIVmm3: 1_600_000)
        let small = try #require(models.assess("right-hippocampus", observedMM3: 3000, covariates: young))
        let normal = try #require(models.assess("right-hippocampus", observedMM3: 4300, covariates: young))
        #expect(small.percentile < normal.percentile)
        #expect(small.percentile < 5)
        let oldExpected = try #require(models.assess("right-hippocampus", observedMM3: 4300, covariates: old)).expectedMM3
        #expect(oldExpected < normal.expectedMM3)
    }

    @Test func everyModelledAsegLabelHasAModel() {
        let labels: [Int32] = [4, 43, 7, 46, 8, 47, 10, 49, 11, 50, 12, 51, 13, 52, 16, 17, 53, 18, 54]
        for label in labels {
            let name = NormativeModels.modelName(forAsegLabel: label)
            #expect(name.map(models.structures.contains) == true, "label \(label)")
        }
        #expect(NormativeModels.modelName(forAsegLabel: 24) == nil)
    }
}

struct NormativeComparisonTests {
    func findings(voxelMM: Double) throws -> Findings {
        let norms = try NormativeModels(contentsOf: Repository.url("pipelines/brain-t1/norms/nomis-fs6.json"))
        let measurements = [FindingsBuilder.Measurement(label: 10, name: "Left-Thalamus", volumeML: 7.5),
                            FindingsBuilder.Measurement(label: 17, name: "Left-Hippocampus", volumeML: 4.0),
                            FindingsBuilder.Measurement(label: 2, name: "Left-Cerebral-White-Matter", volumeML: 1500)]
        let technique = Findings.Technique(modality: "MR", manufacturer: "Siemens", model: nil, fieldStrengthT: 3, seriesDescription: "T1",
                                           dimensions: [128, 128, 96], voxelSizeMM: [voxelMM, voxelMM, voxelMM])
        return FindingsBuilder.build(measurements: measurements, demographics: Findings.Demographics(ageYears: 31, sex: "M"),
                                     technique: technique, norms: norms, voxelVolumeMM3: voxelMM * voxelMM * voxelMM,
                                     meanConfidence: 0.9, extraFlags: [], spikes: nil)
    }

    @Test func oneMillimetreScansGetPercentiles() throws {
        let thalamus = try #require(try findings(voxelMM: 1).structures.first { $0.label == 10 }?.norm)
        #expect(thalamus.expectedMM3 > 5000 && thalamus.expectedMM3 < 10000)
    }

    @Test func twoMillimetreScansGetNoPercentilesAndSayWhy() throws {
        let coarse = try findings(voxelMM: 2)
        #expect(coarse.structures.allSatisfy { $0.norm == nil })
        #expect(coarse.normativeSource.contains("8.0 mm³"))
    }
}
