import Foundation
import NeuroImage
import Segmentation

/// `neurospike synth LABELMAP… --out DIR`: writes synthetic training samples for a person to inspect.
enum SynthCommand {
    static let command = Command(
        name: "synth",
        summary: "write synthetic training images and their label maps made from training label maps",
        help: """
        usage: neurospike synth LABELMAP… --out DIR [--count N] [--size 96] [--voxel-mm 2] [--seed S] [--priors DIR]

        Makes SynthSeg-style training samples from whole-head label maps (NIfTI, aseg numbering plus the
        extra-cerebral labels): random contrast per tissue class (T1-like or fully random), random affine and
        elastic deformation, random resolution, bias field, noise, gamma, left/right flip and skull
        stripping. For sample n it writes DIR/sample_<n>_image.nii.gz (float32, 0…1) and
        DIR/sample_<n>_labels.nii.gz (the target in aseg numbering, 33 classes), both on the undeformed
        sample grid placed in the label map's world, and prints the sample's random choices and time.
        Sample n uses seed derive(S, n): the same S gives the same files.

          --out DIR        output folder (created if needed)
          --count N        number of samples (default 4)
          --size N         voxels along each axis of the cubic sample (default 96)
          --voxel-mm MM    voxel size in mm (default 2)
          --seed S         run seed, an unsigned 64-bit integer (default 1)
          --priors DIR     SynthSeg's labels_classes_priors folder (default: beside the first label map)

        Exit codes: 0 all samples written, 2 usage error or unreadable input.
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        let count = try arguments.intOption("--count", default: 4)
        let size = try arguments.intOption("--size", default: 96, minimum: 8)
        let voxelText = try arguments.option("--voxel-mm") ?? "2"
        guard let voxelMM = Double(voxelText), voxelMM > 0, voxelMM <= 10 else {
            throw UsageError("--voxel-mm expects a size in mm in (0, 10], got '\(voxelText)'")
        }
        let seedText = try arguments.option("--seed") ?? "1"
        guard let runSeed = UInt64(seedText) else { throw UsageError("--seed expects an unsigned integer, got '\(seedText)'") }
        let labelMaps = try LabelMapArguments(&arguments)
        let outputFolder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)

        let loadStart = Date()
        let generator = try labelMaps.generator(size: size, voxelMM: voxelMM)
        print(String(format: "loaded %d label map(s) in %.2f s", labelMaps.labelMaps.count, Date().timeIntervalSince(loadStart)))
        let shape = VolumeShape(size, size, size)
        for index in 0..<count {
            let start = Date()
            let sample = generator.sample(seed: SyntheticImageGenerator.seed(run: runSeed, index: index))
            let seconds = Date().timeIntervalSince(start)
            let name = String(format: "sample_%04d", index)
            let labels = sample.target.map { Int16(LabelSet.asegLabels[Int($0)]) }
            try NIfTI.write(Volume(shape: shape, affine: sample.affine, voxels: .float32(sample.image)),
                            to: outputFolder.appendingPathComponent(name + "_image.nii.gz"), description: "NeuroSpike synthetic image")
            try NIfTI.write(Volume(shape: shape, affine: sample.affine, voxels: .int16(labels)),
                            to: outputFolder.appendingPathComponent(name + "_labels.nii.gz"), description: "NeuroSpike synthetic target")
            let p = sample.parameters
            let acquisition = [p.acquisitionMM.x, p.acquisitionMM.y, p.acquisitionMM.z].map { String(format: "%.1f", $0) }.joined(separator: "×")
            print(String(format: "%@: %@ %@, contrast %@, flip %@, skull-stripped %@, acquired %@ mm, noise %.1f, gamma %.2f, %.3f s",
                         name, generator.labelMaps[p.labelMapIndex].name, shape.description, p.t1Like ? "T1" : "random",
                         p.flipped ? "yes" : "no", p.skullStripped ? "yes" : "no", acquisition, p.noiseStd, p.gamma, seconds))
        }
        return .success
    }
}
