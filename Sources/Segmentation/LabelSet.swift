/// One structure of the segmentation label set.
public struct Structure: Sendable, Equatable {
    /// FreeSurfer aseg label value.
    public let asegLabel: Int
    /// Name as in FreeSurfer's FreeSurferColorLUT.txt.
    public let name: String
    /// Display colour from the same table (red, green, blue, 0…255).
    public let colour: SIMD3<UInt8>
}

/// The 33 classes the segmenter predicts (DESIGN.md "Label set"): class index 0 is background, then the
/// 32 aseg structures in increasing label order, CSF (24) included.
public enum LabelSet {
    public static let structures: [Structure] = [
        Structure(asegLabel: 0, name: "Unknown", colour: SIMD3(0, 0, 0)),
        Structure(asegLabel: 2, name: "Left-Cerebral-White-Matter", colour: SIMD3(245, 245, 245)),
        Structure(asegLabel: 3, name: "Left-Cerebral-Cortex", colour: SIMD3(205, 62, 78)),
        Structure(asegLabel: 4, name: "Left-Lateral-Ventricle", colour: SIMD3(120, 18, 134)),
        Structure(asegLabel: 5, name: "Left-Inf-Lat-Vent", colour: SIMD3(196, 58, 250)),
        Structure(asegLabel: 7, name: "Left-Cerebellum-White-Matter", colour: SIMD3(220, 248, 164)),
        Structure(asegLabel: 8, name: "Left-Cerebellum-Cortex", colour: SIMD3(230, 148, 34)),
        Structure(asegLabel: 10, name: "Left-Thalamus", colour: SIMD3(0, 118, 14)),
        Structure(asegLabel: 11, name: "Left-Caudate", colour: SIMD3(122, 186, 220)),
        Structure(asegLabel: 12, name: "Left-Putamen", colour: SIMD3(236, 13, 176)),
        Structure(asegLabel: 13, name: "Left-Pallidum", colour: SIMD3(12, 48, 255)),
        Structure(asegLabel: 14, name: "3rd-Ventricle", colour: SIMD3(204, 182, 142)),
        Structure(asegLabel: 15, name: "4th-Ventricle", colour: SIMD3(42, 204, 164)),
        Structure(asegLabel: 16, name: "Brain-Stem", colour: SIMD3(119, 159, 176)),
        Structure(asegLabel: 17, name: "Left-Hippocampus", colour: SIMD3(220, 216, 20)),
        Structure(asegLabel: 18, name: "Left-Amygdala", colour: SIMD3(103, 255, 255)),
        Structure(asegLabel: 24, name: "CSF", colour: SIMD3(60, 60, 60)),
        Structure(asegLabel: 26, name: "Left-Accumbens-area", colour: SIMD3(255, 165, 0)),
        Structure(asegLabel: 28, name: "Left-VentralDC", colour: SIMD3(165, 42, 42)),
        Structure(asegLabel: 41, name: "Right-Cerebral-White-Matter", colour: SIMD3(0, 225, 0)),
        Structure(asegLabel: 42, name: "Right-Cerebral-Cortex", colour: SIMD3(205, 62, 78)),
        Structure(asegLabel: 43, name: "Right-Lateral-Ventricle", colour: SIMD3(120, 18, 134)),
        Structure(asegLabel: 44, name: "Right-Inf-Lat-Vent", colour: SIMD3(196, 58, 250)),
        Structure(asegLabel: 46, name: "Right-Cerebellum-White-Matter", colour: SIMD3(220, 248, 164)),
        Structure(asegLabel: 47, name: "Right-Cerebellum-Cortex", colour: SIMD3(230, 148, 34)),
        Structure(asegLabel: 49, name: "Right-Thalamus", colour: SIMD3(0, 118, 14)),
        Structure(asegLabel: 50, name: "Right-Caudate", colour: SIMD3(122, 186, 220)),
        Structure(asegLabel: 51, name: "Right-Putamen", colour: SIMD3(236, 13, 176)),
        Structure(asegLabel: 52, name: "Right-Pallidum", colour: SIMD3(13, 48, 255)),
        Structure(asegLabel: 53, name: "Right-Hippocampus", colour: SIMD3(220, 216, 20)),
        Structure(asegLabel: 54, name: "Right-Amygdala", colour: SIMD3(103, 255, 255)),
        Structure(asegLabel: 58, name: "Right-Accumbens-area", colour: SIMD3(255, 165, 0)),
        Structure(asegLabel: 60, name: "Right-VentralDC", colour: SIMD3(165, 42, 42)),
    ]

    /// Number of classes (33).
    public static var count: Int { structures.count }

    /// Aseg label of each class index.
    public static let asegLabels: [Int] = structures.map(\.asegLabel)

    /// Class index of an aseg label, nil for labels outside the set.
    public static func classIndex(ofAseg label: Int) -> Int? { classIndexByAseg[label] }

    /// Class index of the other hemisphere's structure (Left-X ↔ Right-X); midline structures and the
    /// background map to themselves.
    public static let partnerClass: [Int] = structures.map { structure in
        let name = structure.name
        let partner = name.hasPrefix("Left-") ? "Right-" + name.dropFirst(5)
            : name.hasPrefix("Right-") ? "Left-" + name.dropFirst(6) : name
        guard let index = structures.firstIndex(where: { $0.name == partner }) else {
            preconditionFailure("\(name) has no partner \(partner) in the label set")
        }
        return index
    }

    private static let classIndexByAseg: [Int: Int] =
        Dictionary(uniqueKeysWithValues: structures.enumerated().map { ($1.asegLabel, $0) })
}
