import CPUBackend
import Foundation
import NeuroImage
import Pipeline
import Segmentation

/// `neurospike calibrate-classes`: fits the bundle's `ClassWeights` on synthetic images.
enum CalibrateClassesCommand {
    static let command = Command(
        name: "calibrate-classes",
        summary: "fit per-class posterior weights so that small structures get their true volumes on synthetic images",
        help: """
        usage: neurospike calibrate-classes LABELMAP… --out FILE [--pipeline NAME|DIR] [options]

        Runs the bundle's segmenter (its weights and mirror averaging, no class weights) on synthetic
        images from the training label maps, then fits one posterior factor per small class (under 1 %
        of the labelled voxels, left and right twins tied) so that its argmax volume matches its true
        volume there; larger classes and the background keep 1. Scores the factors on a second,
        held-out set of synthetic images and prints Dice and volume error per class, without and with
        them. Writes the factors as JSON to FILE; a bundle uses them through "class_weights" in
        its pipeline.json.

          --out FILE             where the factors go (JSON)
          --pipeline NAME|DIR    pipeline bundle (default brain-t1)
          --fit N                synthetic images to fit on (default 48)
          --held-out N           synthetic images to score on (default 16)
          --priors DIR           SynthSeg priors folder (default: beside the label maps)
          --threads N            CPU threads (default: all cores)
        """,
        run: run)

    /// Seed streams of the fitting and the held-out images, apart from training, validation and conversion.
    static let fitRun: UInt64 = 0xC1A5_5E5
    static let heldOutRun: UInt64 = 0xC1A5_5E6

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out FILE is required") }
        let pipelineName = try arguments.option("--pipeline") ?? "brain-t1"
        let fitCount = try arguments.intOption("--fit", default: 48)
        let heldOutCount = try arguments.intOption("--held-out", default: 16)
        let threads = try arguments.intOption("--threads", default: ProcessInfo.processInfo.activeProcessorCount)
        let labelMaps = try LabelMapArguments(&arguments)

        let bundle = try PipelineBundle(folder: PipelineBundle.locate(pipelineName, executable: URL(fileURLWithPath: ChildProcess.selfPath)))
        let configuration = bundle.model.configuration
        let segmenter = Segmenter(model: bundle.model, backend: CPUBackend(threadCount: threads), windowEdge: bundle.windowEdge,
                                  mirrorAveraging: bundle.mirrorAveraging, classWeights: nil, intensityRefinement: nil)
        let size = bundle.windowEdge
        let generator = try labelMaps.generator(size: size, voxelMM: configuration.voxelMM)
        func collect(run: UInt64, count: Int) -> ClassCalibrationSet {
            var set = ClassCalibrationSet(classes: configuration.classes)
            for index in 0..<count {
                let sample = generator.batch(run: run, step: index, batchSize: 1)
                set.add(posteriors: segmenter.windowPosteriors(sample.images, extent: SIMD3(repeating: size)), target: sample.targets)
            }
            return set
        }
        let fitSet = collect(run: fitRun, count: fitCount)
        let weights = fitSet.fitVolumes(partners: LabelSet.partnerClass)
        let heldOut = collect(run: heldOutRun, count: heldOutCount)
        let identity = ClassWeights(factors: [Float](repeating: 1, count: configuration.classes))

        let table = Self.table(heldOut: heldOut, before: identity, after: weights)
        print(table.text)
        let output = ClassWeightsFile(weights: weights, segmenterSHA256: bundle.weightsHash, fitImages: fitCount, heldOutImages: heldOutCount,
                                      heldOutMeanDice: ["without": table.meanBefore, "with": table.meanAfter])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(output), to: URL(fileURLWithPath: out))
        return .success
    }

    /// A Markdown table of held-out Dice and volume error per class, without and with the weights.
    static func table(heldOut: ClassCalibrationSet, before: ClassWeights, after: ClassWeights)
        -> (text: String, meanBefore: Double, meanAfter: Double) {
        let (diceBefore, diceAfter) = (heldOut.dice(before), heldOut.dice(after))
        let (volumesBefore, volumesAfter) = (heldOut.volumes(before), heldOut.volumes(after))
        var lines = ["| class | factor | true voxels | Dice without | Dice with | volume error without | volume error with |",
                     "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        var (sumBefore, sumAfter, scored) = (0.0, 0.0, 0)
        for c in 1..<heldOut.classes {
            let truth = volumesBefore.truth[c]
            guard truth > 0, let b = diceBefore[c], let a = diceAfter[c] else { continue }
            sumBefore += b
            sumAfter += a
            scored += 1
            func error(_ predicted: Int) -> String { String(format: "%+.1f %%", (Double(predicted) / Double(truth) - 1) * 100) }
            lines.append(String(format: "| %@ | %.3f | %d | %.3f | %.3f | %@ | %@ |", LabelSet.structures[c].name, after.factors[c], truth,
                                b, a, error(volumesBefore.predicted[c]), error(volumesAfter.predicted[c])))
        }
        let (meanBefore, meanAfter) = (sumBefore / Double(max(scored, 1)), sumAfter / Double(max(scored, 1)))
        lines.append(String(format: "| mean of %d classes | | | %.4f | %.4f | | |", scored, meanBefore, meanAfter))
        return (lines.joined(separator: "\n"), meanBefore, meanAfter)
    }
}
