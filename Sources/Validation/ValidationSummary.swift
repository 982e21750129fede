import Foundation
import NeuroImage

/// Mean ± SD and median of one metric over the cases where it is defined.
public struct MetricSummary: Sendable, Encodable {
    public var mean: Double
    public var sd: Double
    public var median: Double
    public var n: Int

    init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        n = finite.count
        guard !finite.isEmpty else {
            mean = .nan; sd = .nan; median = .nan
            return
        }
        mean = finite.reduce(0, +) / Double(n)
        let m = mean
        sd = n > 1 ? (finite.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)).squareRoot() : 0
        let sorted = finite.sorted()
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

/// Per-structure and macro summaries over the scored cases.
public struct ValidationSummary: Sendable {
    public struct Structure: Sendable {
        public var label: Int32
        public var dice: MetricSummary
        public var hd95MM: MetricSummary
        public var assdMM: MetricSummary
        public var volumeDifferencePercent: MetricSummary
        public var failures: Int
        public var bothEmpty: Int
    }

    public var structures: [Structure]
    /// Mean over structures of the per-structure mean Dice.
    public var meanDice: Double
    public var subcorticalMeanDice: Double
    public var failedCases: [String]
    public var scoredCases: Int
    /// Mean over subjects with repeated scans of |V₁ − V₂| / mean(V₁, V₂) × 100, per structure.
    public var testRetestPercent: [Int32: Double]
    /// Over the cases whose segmentation is known: seconds per case, zero-count and silent-slot fractions.
    public var segmentSeconds: MetricSummary
    public var zeroCountFraction: MetricSummary
    public var silentSlotFraction: MetricSummary

    public init(labels: [Int32], results: [CaseResult]) {
        let scored = results.filter { $0.failure == nil }
        scoredCases = scored.count
        failedCases = results.filter { $0.failure != nil }.map(\.id)
        structures = labels.map { label in
            let scores = scored.compactMap { $0.scores.first { $0.label == label } }
            let counted = scores.filter { $0.status != .bothEmpty }
            return Structure(label: label,
                             dice: MetricSummary(counted.map(\.dice)),
                             hd95MM: MetricSummary(counted.map(\.hd95MM)),
                             assdMM: MetricSummary(counted.map(\.assdMM)),
                             volumeDifferencePercent: MetricSummary(counted.map(\.volumeDifferencePercent)),
                             failures: scores.filter { $0.status.isFailure }.count,
                             bothEmpty: scores.filter { $0.status == .bothEmpty }.count)
        }
        func macro(_ selected: [Structure]) -> Double {
            let means = selected.map(\.dice.mean).filter(\.isFinite)
            return means.isEmpty ? .nan : means.reduce(0, +) / Double(means.count)
        }
        meanDice = macro(structures)
        subcorticalMeanDice = macro(structures.filter { Validation.subcorticalLabels.contains($0.label) })
        testRetestPercent = Self.testRetest(labels: labels, results: scored)
        let runs = results.compactMap(\.segmentation)
        segmentSeconds = MetricSummary(runs.map(\.seconds))
        zeroCountFraction = MetricSummary(runs.compactMap(\.zeroCountFraction))
        silentSlotFraction = MetricSummary(runs.compactMap(\.silentSlotFraction))
    }

    private static func testRetest(labels: [Int32], results: [CaseResult]) -> [Int32: Double] {
        let bySubject = Dictionary(grouping: results.filter { $0.subject != nil }, by: { $0.subject! }).values.filter { $0.count > 1 }
        var output: [Int32: Double] = [:]
        for label in labels {
            var differences: [Double] = []
            for scans in bySubject {
                let volumes = scans.compactMap { $0.scores.first { $0.label == label }?.predictedVolumeML }
                guard let first = volumes.first else { continue }
                for other in volumes.dropFirst() where first + other > 0 {
                    differences.append(abs(first - other) / ((first + other) / 2) * 100)
                }
            }
            if !differences.isEmpty { output[label] = differences.reduce(0, +) / Double(differences.count) }
        }
        return output
    }
}
