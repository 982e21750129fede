import Foundation

/// What a normative model needs to know about the scan and the person.
public struct NormCovariates: Sendable, Equatable {
    public enum Sex: String, Sendable, Codable { case female = "F", male = "M" }
    public enum Manufacturer: Sendable { case siemens, ge, philips, other }

    public var ageYears: Double
    public var sex: Sex
    /// Estimated total intracranial volume (mm³).
    public var eTIVmm3: Double
    public var voxelVolumeMM3: Double
    /// Below 2 T counts as the models' 1.5 T class.
    public var fieldStrengthT: Double?
    public var manufacturer: Manufacturer

    public init(ageYears: Double, sex: Sex, eTIVmm3: Double, voxelVolumeMM3: Double = 1,
                fieldStrengthT: Double? = nil, manufacturer: Manufacturer = .siemens) {
        self.ageYears = ageYears
        self.sex = sex
        self.eTIVmm3 = eTIVmm3
        self.voxelVolumeMM3 = voxelVolumeMM3
        self.fieldStrengthT = fieldStrengthT
        self.manufacturer = manufacturer
    }
}

/// Where an observed volume falls among healthy people of the same age, sex and head size.
public struct NormAssessment: Sendable, Equatable, Codable {
    public var expectedMM3: Double
    public var z: Double
    /// 0…100.
    public var percentile: Double
}

/// Linear normative models of aseg volumes (NOMIS, FreeSurfer 6): see pipelines/brain-t1/norms/README.md.
public struct NormativeModels: Sendable {
    struct Model: Sendable, Decodable {
        var intercept: Double
        var coef: [String: Double]
        var mse: Double
    }

    static let centreAgeYears = 54.960257498335615
    static let centreETIVmm3 = 1523160.5903620527
    /// Models on log10(mm³) rather than mm³.
    static let logScaleModels: Set<String> = ["left-lateral-ventricle", "right-lateral-ventricle"]

    private let models: [String: Model]
    /// Citation of the source, for reports.
    public let source = "NOMIS normative models (Potvin, Dieumegarde & Duchesne 2021; FreeSurfer 6 volumes; BSD-3)"

    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        models = try JSONDecoder().decode([String: Model].self, from: data)
    }

    /// Model names (lower-case FreeSurfer names, e.g. `left-hippocampus`).
    public var structures: [String] { models.keys.sorted() }

    /// The model name for an aseg label, when NOMIS has one.
    public static func modelName(forAsegLabel label: Int32) -> String? {
        let names: [Int32: String] = [
            4: "left-lateral-ventricle", 43: "right-lateral-ventricle",
            7: "left-cerebellum-white-matter", 46: "right-cerebellum-white-matter",
            8: "left-cerebellum-cortex", 47: "right-cerebellum-cortex",
            10: "left-thalamus-proper", 49: "right-thalamus-proper",
            11: "left-caudate", 50: "right-caudate", 12: "left-putamen", 51: "right-putamen",
            13: "left-pallidum", 52: "right-pallidum", 16: "brain-stem",
            17: "left-hippocampus", 53: "right-hippocampus", 18: "left-amygdala", 54: "right-amygdala",
        ]
        return names[label]
    }

    /// Expected volume and its residual SD for `structure`, on the model's own scale (mm³ or log10 mm³).
    func expectation(_ structure: String, _ covariates: NormCovariates) -> (mean: Double, sd: Double, logScale: Bool)? {
        guard let model = models[structure] else { return nil }
        let age = covariates.ageYears - Self.centreAgeYears
        let etiv = covariates.eTIVmm3 - Self.centreETIVmm3
        let male = covariates.sex == .male ? 1.0 : 0.0
        let lowField = (covariates.fieldStrengthT ?? 3) < 2 ? 1.0 : 0.0
        let philips = covariates.manufacturer == .philips ? 1.0 : 0.0
        let ge = covariates.manufacturer == .ge ? 1.0 : 0.0
        let x: [String: Double] = [
            "age": age, "age2": age * age, "age3": age * age * age,
            "etiv": etiv, "etiv2": etiv * etiv, "etiv3": etiv * etiv * etiv,
            "sex_m": male, "voxel": covariates.voxelVolumeMM3, "mfs_15": lowField,
            "manufacturer_philips": philips, "manufacturer_ge": ge,
            "age_x_etiv": age * etiv, "age_x_sex_m": age * male, "etiv_x_sex_m": etiv * male,
            "etiv_x_mfs_15": etiv * lowField,
            "mfs_15_x_manufacturer_philips": lowField * philips, "mfs_15_x_manufacturer_ge": lowField * ge,
        ]
        // Summed in a fixed order, so a volume's z-score is the same in every run.
        let mean = model.coef.keys.sorted().reduce(model.intercept) { $0 + model.coef[$1]! * (x[$1] ?? 0) }
        return (mean, model.mse.squareRoot(), Self.logScaleModels.contains(structure))
    }

    /// z-score and percentile of an observed volume (mm³); nil when there is no model for `structure`.
    public func assess(_ structure: String, observedMM3: Double, covariates: NormCovariates) -> NormAssessment? {
        guard observedMM3 > 0, let (mean, sd, logScale) = expectation(structure, covariates) else { return nil }
        let observed = logScale ? log10(observedMM3) : observedMM3
        let z = (observed - mean) / sd
        return NormAssessment(expectedMM3: logScale ? pow(10, mean) : mean, z: z, percentile: 100 * standardNormalCDF(z))
    }
}

/// Φ(z), the standard normal cumulative distribution.
func standardNormalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
