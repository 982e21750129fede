import Foundation

/// The structures a report talks about: those the normative models cover, named as a radiologist would.
public enum ReportStructure: String, CaseIterable, Sendable {
    case lateralVentricle = "lateral-ventricle"
    case cerebellarWhiteMatter = "cerebellar-white-matter"
    case cerebellarCortex = "cerebellar-cortex"
    case thalamus, caudate, putamen, pallidum, brainstem, hippocampus, amygdala

    /// Words in the report.
    public var words: String {
        switch self {
        case .lateralVentricle: return "lateral ventricle"
        case .cerebellarWhiteMatter: return "cerebellar white matter"
        case .cerebellarCortex: return "cerebellar cortex"
        default: return rawValue
        }
    }

    /// aseg labels (left, right); the brainstem has one.
    public var labels: (left: Int, right: Int?) {
        switch self {
        case .lateralVentricle: return (4, 43)
        case .cerebellarWhiteMatter: return (7, 46)
        case .cerebellarCortex: return (8, 47)
        case .thalamus: return (10, 49)
        case .caudate: return (11, 50)
        case .putamen: return (12, 51)
        case .pallidum: return (13, 52)
        case .brainstem: return (16, nil)
        case .hippocampus: return (17, 53)
        case .amygdala: return (18, 54)
        }
    }

    /// The pair name in `Findings.asymmetries`, for paired structures.
    public var asymmetryName: String? {
        switch self {
        case .lateralVentricle: return "Lateral-Ventricle"
        case .cerebellarCortex: return "Cerebellum-Cortex"
        case .thalamus: return "Thalamus"
        case .caudate: return "Caudate"
        case .putamen: return "Putamen"
        case .pallidum: return "Pallidum"
        case .hippocampus: return "Hippocampus"
        case .amygdala: return "Amygdala"
        case .cerebellarWhiteMatter, .brainstem: return nil
        }
    }
}

public enum Side: String, CaseIterable, Sendable {
    case left, right, midline
}

/// A structure on one side (the brainstem is `midline`).
public struct Subject: Hashable, Sendable, CustomStringConvertible {
    public var structure: ReportStructure
    public var side: Side

    public init(_ structure: ReportStructure, _ side: Side) {
        self.structure = structure
        self.side = side
    }

    public var label: Int { side == .right ? structure.labels.right! : structure.labels.left }
    public var description: String { side == .midline ? structure.words : "\(side.rawValue) \(structure.words)" }

    /// Every subject in report order.
    public static let all: [Subject] = ReportStructure.allCases.flatMap { structure in
        structure.labels.right == nil ? [Subject(structure, .midline)] : [Subject(structure, .left), Subject(structure, .right)]
    }
}

public enum Direction: String, Sendable { case low, high }
public enum Severity: String, Sendable { case mild, marked }

/// What the findings say that a report must state, the common ground of the prompt, the grammar and the
/// fact checker. Abnormal: normative percentile below 5 or above 95 (marked below 1 or above 99);
/// asymmetric: |(R − L) / mean| ≥ 10 %.
public struct ReportFacts: Sendable {
    public struct Abnormality: Hashable, Sendable {
        public var subject: Subject
        public var direction: Direction
        public var severity: Severity
    }

    public struct AsymmetryFact: Hashable, Sendable {
        public var structure: ReportStructure
        public var larger: Side
        public var indexPercent: Double
    }

    public static let abnormalPercentile = 5.0
    public static let markedPercentile = 1.0
    public static let asymmetryPercent = 10.0

    public let findings: Findings
    public let hasNorms: Bool
    public let abnormalities: [Abnormality]
    public let asymmetries: [AsymmetryFact]
    private let structureByLabel: [Int: Findings.Structure]

    public init(_ findings: Findings) {
        self.findings = findings
        structureByLabel = Dictionary(findings.structures.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
        hasNorms = findings.structures.contains { $0.norm != nil }
        var abnormal: [Abnormality] = []
        for subject in Subject.all {
            guard let percentile = structureByLabel[subject.label]?.norm?.percentile else { continue }
            if percentile < Self.abnormalPercentile {
                abnormal.append(.init(subject: subject, direction: .low, severity: percentile < Self.markedPercentile ? .marked : .mild))
            } else if percentile > 100 - Self.abnormalPercentile {
                abnormal.append(.init(subject: subject, direction: .high, severity: percentile > 100 - Self.markedPercentile ? .marked : .mild))
            }
        }
        abnormalities = abnormal
        asymmetries = ReportStructure.allCases.compactMap { structure in
            guard let name = structure.asymmetryName, let index = findings.asymmetries.first(where: { $0.structure == name })?.indexPercent,
                  abs(index) >= Self.asymmetryPercent else { return nil }
            return AsymmetryFact(structure: structure, larger: index > 0 ? .right : .left, indexPercent: abs(index))
        }
    }

    public func structure(_ subject: Subject) -> Findings.Structure? { structureByLabel[subject.label] }

    public func abnormality(of subject: Subject) -> Abnormality? { abnormalities.first { $0.subject == subject } }
}
