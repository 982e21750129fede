import Foundation

/// Everything a report is made from (`findings.json`). Volumes in mL, from the label map on the scan's own
/// grid (voxel count × voxel volume).
public struct Findings: Codable, Sendable {
    public struct Demographics: Codable, Sendable {
        public var ageYears: Double?
        public var sex: String?
        public init(ageYears: Double?, sex: String?) {
            self.ageYears = ageYears
            self.sex = sex
        }
    }

    public struct Technique: Codable, Sendable {
        public var modality: String?
        public var manufacturer: String?
        public var model: String?
        public var fieldStrengthT: Double?
        public var seriesDescription: String?
        public var dimensions: [Int]
        public var voxelSizeMM: [Double]
        public init(modality: String?, manufacturer: String?, model: String?, fieldStrengthT: Double?,
                    seriesDescription: String?, dimensions: [Int], voxelSizeMM: [Double]) {
            self.modality = modality
            self.manufacturer = manufacturer
            self.model = model
            self.fieldStrengthT = fieldStrengthT
            self.seriesDescription = seriesDescription
            self.dimensions = dimensions
            self.voxelSizeMM = voxelSizeMM
        }
    }

    public struct Structure: Codable, Sendable {
        public var label: Int
        public var name: String
        public var volumeML: Double
        public var percentOfETIV: Double
        /// Present when the normative model covers the structure and age and sex are known.
        public var norm: NormAssessment?
    }

    public struct Asymmetry: Codable, Sendable {
        public var structure: String
        /// (right − left) / mean(right, left) × 100.
        public var indexPercent: Double
    }

    public struct QCFlag: Codable, Sendable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public struct SpikeSummary: Codable, Sendable {
        public var zeroCountFraction: Double
        public var silentSlotFraction: Double
        public var synapticOperations: Int
        public var denseMultiplyAccumulates: Int
        /// Estimated energy ratio ANN / SNN at 45 nm fp32 (an estimate, not a measurement).
        public var estimatedEnergyRatio: Double

        public init(zeroCountFraction: Double, silentSlotFraction: Double, synapticOperations: Int,
                    denseMultiplyAccumulates: Int, estimatedEnergyRatio: Double) {
            self.zeroCountFraction = zeroCountFraction
            self.silentSlotFraction = silentSlotFraction
            self.synapticOperations = synapticOperations
            self.denseMultiplyAccumulates = denseMultiplyAccumulates
            self.estimatedEnergyRatio = estimatedEnergyRatio
        }
    }

    public var demographics: Demographics
    public var technique: Technique
    public var eTIVML: Double
    /// How eTIV was estimated.
    public var eTIVMethod: String
    public var structures: [Structure]
    public var asymmetries: [Asymmetry]
    /// The normative source, or why norms are missing.
    public var normativeSource: String
    public var qcFlags: [QCFlag]
    public var meanConfidence: Double
    public var spikes: SpikeSummary?
}
