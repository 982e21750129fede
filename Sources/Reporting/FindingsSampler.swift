import Foundation
import Segmentation

/// Draws realistic findings records for the language model's corpus: age, sex and intracranial volume,
/// structure volumes from the normative models with a healthy, atrophic, ventricular-enlargement,
/// one-sided or scattered pattern, technique from common scanners, and QC problems, all put through
/// `FindingsBuilder` exactly as a segmented scan is.
public struct FindingsSampler {
    public let norms: NormativeModels

    public init(norms: NormativeModels) { self.norms = norms }

    /// Typical share of intracranial volume for structures without a normative model (left side; the right
    /// mirrors it). Arrays, not dictionaries: the order of random draws must not depend on hashing.
    static let unnormedShares: [(label: Int, share: Double)] = [(2, 0.150), (3, 0.165), (5, 0.0003), (14, 0.0008), (15, 0.0012),
                                                                (24, 0.08), (26, 0.0003), (28, 0.0027)]
    /// Left/right aseg label pairs of the label set, in label order.
    static let pairs: [(left: Int, right: Int)] = LabelSet.structures.indices.compactMap { index in
        let structure = LabelSet.structures[index]
        guard structure.name.hasPrefix("Left-") else { return nil }
        return (structure.asegLabel, LabelSet.structures[LabelSet.partnerClass[index]].asegLabel)
    }
    static let scanners: [(String, [String], Double)] = [("SIEMENS", ["Prisma", "Skyra", "Avanto"], 3), ("GE MEDICAL SYSTEMS", ["DISCOVERY MR750", "SIGNA Premier"], 3),
                                                         ("Philips", ["Ingenia", "Achieva"], 3), ("SIEMENS", ["Aera"], 1.5), ("GE MEDICAL SYSTEMS", ["Optima MR450w"], 1.5)]
    /// Voxel sizes (mm) of coarse acquisitions, all above `FindingsBuilder.maxNormVoxelMM3`.
    static let coarseVoxelSizesMM: [[Double]] = [[2, 2, 2], [1, 1, 3], [1.2, 1.2, 2]]
    static let seriesNames = ["T1_MPRAGE_SAG", "t1_mprage_sag_p2_iso", "Sag 3D T1 BRAVO", "3D_T1_TFE", "anat-T1w_acq-tfl", "MPRAGE GRAPPA2", "T1W_3D_TFE SENSE"]

    public func sample<G: RandomNumberGenerator>(using generator: inout G) -> Findings {
        func normal() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &generator), v = Double.random(in: 0..<1, using: &generator)
            return (-2 * Foundation.log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let age = Double.random(in: 18...92, using: &generator).rounded()
        let sex: NormCovariates.Sex = Bool.random(using: &generator) ? .female : .male
        let etivML = (sex == .female ? 1380.0 : 1560.0) + 130 * normal()
        let scanner = Self.scanners.randomElement(using: &generator)!
        let covariates = NormCovariates(ageYears: age, sex: sex, eTIVmm3: etivML * 1000, voxelVolumeMM3: 1, fieldStrengthT: scanner.2,
                                        manufacturer: FindingsBuilder.manufacturer(scanner.0))
        // z offsets per aseg label by pattern.
        var shift: [Int: Double] = [:]
        var spread = 1.0
        switch Int.random(in: 0..<10, using: &generator) {
        case 0...2: break
        case 3, 4:
            let depth = Double.random(in: 1.5...4, using: &generator)
            for label in [17, 53, 18, 54] { shift[label] = -depth }
            for label in [4, 43] { shift[label] = depth * 0.8 }
        case 5:
            let depth = Double.random(in: 1.5...4, using: &generator)
            for label in [4, 43] { shift[label] = depth }
        case 6, 7:
            let label = [17, 53, 18, 54, 10, 49, 12, 51, 11, 50, 4, 43].randomElement(using: &generator)!
            shift[label] = (Bool.random(using: &generator) ? -1 : 1) * Double.random(in: 2...4, using: &generator)
        default:
            spread = Double.random(in: 1.5...3, using: &generator)
        }
        var volumes: [Int: Double] = [:]
        for structure in LabelSet.structures.dropFirst() {
            guard let model = NormativeModels.modelName(forAsegLabel: Int32(structure.asegLabel)) else { continue }
            guard let (mean, sd, logScale) = norms.expectation(model, covariates) else { continue }
            let value = mean + sd * (spread * normal() + (shift[structure.asegLabel] ?? 0))
            volumes[structure.asegLabel] = max(0.01, (logScale ? pow(10, value) : value) / 1000)
        }
        for (left, share) in Self.unnormedShares {
            for label in [left, Self.pairs.first { $0.left == left }?.right].compactMap({ $0 }) {
                volumes[label] = etivML * share * (1 + 0.08 * normal())
            }
        }
        let assigned = volumes.keys.sorted().filter { $0 != 24 }.reduce(0) { $0 + volumes[$1]! }
        volumes[24] = max(20, etivML - assigned)
        switch Int.random(in: 0..<12, using: &generator) {
        case 0:
            volumes[[17, 53, 10, 49, 11, 50].randomElement(using: &generator)!] = Bool.random(using: &generator) ? 0 : Double.random(in: 0.05...0.29, using: &generator)
        case 1, 2:
            // One side of a pair shrunk: an asymmetry beyond 10 %.
            let (left, right) = Self.pairs.filter { $0.left != 5 }.randomElement(using: &generator)!
            volumes[Bool.random(using: &generator) ? left : right]! *= Double.random(in: 0.55...0.88, using: &generator)
        case 3:
            // A failed segmentation: structures missing, others lopsided.
            for label in volumes.keys.sorted().shuffled(using: &generator).prefix(Int.random(in: 1...16, using: &generator)) where label != 24 {
                volumes[label] = 0
            }
            for (left, right) in Self.pairs where Int.random(in: 0..<3, using: &generator) == 0 {
                volumes[Bool.random(using: &generator) ? left : right]! *= Double.random(in: 0.2...0.9, using: &generator)
            }
        default:
            break
        }
        let measurements = LabelSet.structures.dropFirst().map {
            FindingsBuilder.Measurement(label: $0.asegLabel, name: $0.name, volumeML: volumes[$0.asegLabel] ?? 0)
        }
        let known = Int.random(in: 0..<5, using: &generator)
        let demographics = Findings.Demographics(ageYears: known == 0 || known == 1 ? nil : age, sex: known == 0 || known == 2 ? nil : sex.rawValue)
        let described = Int.random(in: 0..<6, using: &generator)
        var technique = Findings.Technique(
            modality: "MR", manufacturer: described == 0 ? nil : scanner.0, model: described <= 1 ? nil : scanner.1.randomElement(using: &generator),
            fieldStrengthT: described == 0 || described == 2 ? nil : scanner.2,
            seriesDescription: described == 3 ? nil : Self.seriesNames.randomElement(using: &generator),
            dimensions: [176, 256, 256].map { $0 - 16 * Int.random(in: 0...2, using: &generator) },
            voxelSizeMM: Bool.random(using: &generator) ? [1, 1, 1] : [1, 0.9375, 0.9375])
        let confidence = Int.random(in: 0..<8, using: &generator) == 0 ? Double.random(in: 0.55...0.79, using: &generator)
                                                                     : Double.random(in: 0.8...0.97, using: &generator)
        // One record in eight is a coarse acquisition, for which the builder withholds the percentiles.
        if Int.random(in: 0..<8, using: &generator) == 0 {
            technique.voxelSizeMM = Self.coarseVoxelSizesMM.randomElement(using: &generator)!
            technique.dimensions = technique.dimensions.map { $0 / 2 }
        }
        let voxelVolumeMM3 = technique.voxelSizeMM.reduce(1, *)
        return FindingsBuilder.build(measurements: measurements, demographics: demographics, technique: technique, norms: norms,
                                     voxelVolumeMM3: voxelVolumeMM3, meanConfidence: confidence, extraFlags: [], spikes: nil)
    }
}
