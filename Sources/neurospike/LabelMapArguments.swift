import Foundation
import Segmentation

/// The label maps the synthetic-image commands draw from (their positionals) and SynthSeg's priors folder
/// (`--priors`, by default `labels_classes_priors` beside the first map).
struct LabelMapArguments {
    let labelMaps: [URL]
    let priorsFolder: URL

    /// Takes `--priors` and the positionals, so call it after every other option.
    init(_ arguments: inout Arguments) throws {
        let priorsOption = try arguments.option("--priors")
        labelMaps = try arguments.positionals().map { URL(fileURLWithPath: $0) }
        guard let first = labelMaps.first else { throw UsageError("give at least one label map") }
        priorsFolder = priorsOption.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? first.deletingLastPathComponent().appendingPathComponent("labels_classes_priors", isDirectory: true)
    }

    /// A generator of `size`³ samples at `voxelMM`.
    func generator(size: Int, voxelMM: Double) throws -> SyntheticImageGenerator {
        try SyntheticImageGenerator.load(labelMaps: labelMaps, priorsFolder: priorsFolder, options: SynthesisOptions(size: size, voxelMM: voxelMM))
    }
}
