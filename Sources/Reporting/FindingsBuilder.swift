import Foundation

/// Turns measured volumes into findings: eTIV, percentages, asymmetry, normative position and QC flags.
public enum FindingsBuilder {
    /// eTIV here is segmentation-based: the sum of all labelled structures, ventricles and CSF included.
    public static let eTIVMethod = "sum of all 32 segmented structures including ventricles and CSF (segmentation-based intracranial volume, not FreeSurfer's atlas-scaling eTIV)"
    /// Structures with a left and a right label, for asymmetry indices.
    static let pairs: [(name: String, left: Int, right: Int)] = [
        ("Cerebral-White-Matter", 2, 41), ("Cerebral-Cortex", 3, 42), ("Lateral-Ventricle", 4, 43),
        ("Thalamus", 10, 49), ("Caudate", 11, 50), ("Putamen", 12, 51), ("Pallidum", 13, 52),
        ("Hippocampus", 17, 53), ("Amygdala", 18, 54), ("Accumbens-area", 26, 58), ("Cerebellum-Cortex", 8, 47),
    ]

    public struct Measurement: Sendable {
        public var label: Int
        public var name: String
        public var volumeML: Double
        public init(label: Int, name: String, volumeML: Double) {
            self.label = label
            self.name = name
            self.volumeML = volumeML
        }
    }

    /// Largest acquisition voxel (mm³) the normative models are applied to. Their voxel-volume term is
    /// linear and extrapolates wildly for coarse scans (at 8 mm³ it expects a negative thalamus volume), so
    /// coarser scans get no percentiles rather than meaningless ones.
    public static let maxNormVoxelMM3 = 2.0

    public static func build(measurements: [Measurement], demographics: Findings.Demographics, technique: Findings.Technique,
                             norms: NormativeModels?, voxelVolumeMM3: Double, meanConfidence: Double,
                             extraFlags: [Findings.QCFlag], spikes: Findings.SpikeSummary?) -> Findings {
        let etiv = measurements.reduce(0) { $0 + $1.volumeML }
        var normSource = norms?.source ?? "no normative models loaded"
        var covariates: NormCovariates?
        if norms != nil && voxelVolumeMM3 > maxNormVoxelMM3 {
            normSource = String(format: "normative columns left empty: the scan's voxels (%.1f mm³) are coarser than the %.0f mm³ up to which the normative models are applied",
                                voxelVolumeMM3, maxNormVoxelMM3)
        } else if let age = demographics.ageYears, let sexText = demographics.sex, let sex = NormCovariates.Sex(rawValue: sexText) {
            covariates = NormCovariates(ageYears: age, sex: sex, eTIVmm3: etiv * 1000, voxelVolumeMM3: voxelVolumeMM3,
                                        fieldStrengthT: technique.fieldStrengthT, manufacturer: manufacturer(technique.manufacturer))
        } else if norms != nil {
            normSource = "normative columns left empty: the scan carries no patient age and sex"
        }
        let structures = measurements.map { measurement -> Findings.Structure in
            var norm: NormAssessment?
            if let norms, let covariates, let model = NormativeModels.modelName(forAsegLabel: Int32(measurement.label)) {
                norm = norms.assess(model, observedMM3: measurement.volumeML * 1000, covariates: covariates)
            }
            return Findings.Structure(label: measurement.label, name: measurement.name, volumeML: measurement.volumeML,
                                      percentOfETIV: etiv > 0 ? measurement.volumeML / etiv * 100 : 0, norm: norm)
        }
        let volume = Dictionary(uniqueKeysWithValues: measurements.map { ($0.label, $0.volumeML) })
        let asymmetries = pairs.compactMap { pair -> Findings.Asymmetry? in
            guard let left = volume[pair.left], let right = volume[pair.right], left + right > 0 else { return nil }
            return Findings.Asymmetry(structure: pair.name, indexPercent: (right - left) / ((right + left) / 2) * 100)
        }
        var flags = extraFlags
        if etiv < 1000 || etiv > 2200 {
            flags.append(.init(code: "implausible_etiv", message: String(format: "intracranial volume %.0f mL lies outside 1000–2200 mL", etiv)))
        }
        for measurement in measurements where measurement.volumeML == 0 {
            flags.append(.init(code: "missing_structure", message: "\(measurement.name) was not found"))
        }
        for measurement in measurements where measurement.volumeML > 0 && measurement.volumeML < 0.3 && [17, 53, 10, 49, 11, 50, 12, 51].contains(measurement.label) {
            flags.append(.init(code: "tiny_structure", message: String(format: "%@ measures only %.2f mL", measurement.name, measurement.volumeML)))
        }
        if meanConfidence < 0.8 {
            flags.append(.init(code: "low_confidence", message: String(format: "mean segmentation confidence %.2f is below 0.80", meanConfidence)))
        }
        return Findings(demographics: demographics, technique: technique, eTIVML: etiv, eTIVMethod: eTIVMethod,
                        structures: structures, asymmetries: asymmetries, normativeSource: normSource, qcFlags: flags,
                        meanConfidence: meanConfidence, spikes: spikes)
    }

    static func manufacturer(_ text: String?) -> NormCovariates.Manufacturer {
        let lower = (text ?? "").lowercased()
        if lower.contains("philips") { return .philips }
        if lower.contains("ge ") || lower.hasPrefix("ge") { return .ge }
        if lower.contains("siemens") || lower.isEmpty { return .siemens }
        return .other
    }
}
