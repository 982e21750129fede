import Foundation
import Segmentation

/// `neurospike convert-model`: the trained conventional network → its spiking form, with < 2 % extra data.
enum ConvertModelCommand {
    static let command = Command(
        name: "convert-model",
        summary: "convert a trained segmentation network into its spiking form and fine-tune it briefly",
        help: """
        usage: neurospike convert-model LABELMAP… --from DIR --out DIR [options]
               neurospike convert-model --lm --from DIR --out DIR [options]   (the report language model, below)

        Copies the conventional (clipped-ReLU) network in DIR/model.safetensors into the spiking form,
        calibrates one threshold per channel from the conventional activations on synthetic calibration
        images, then fine-tunes the spiking form with straight-through gradients for a few steps. Prints
        the synthetic validation Dice of both forms and the share of the conventional training's images
        that conversion used. The result goes to --out DIR/model.safetensors (+ training-log.tsv).

          --from DIR              folder of the trained conventional network
          --out DIR               folder for the spiking network
          --calibration N         calibration images (default 8)
          --fine-tune-steps N     spiking fine-tuning steps (default: 1.5 % of the conventional steps)
          --priors DIR            SynthSeg priors folder (default: beside the label maps)
          --threads N             CPU threads (default: all cores)

        """ + TrainLMCommand.convertHelp,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        if arguments.flag("--lm") { return try TrainLMCommand.convert(&arguments) }
        guard let from = try arguments.option("--from"), let out = try arguments.option("--out") else {
            throw UsageError("--from DIR and --out DIR are required")
        }
        let calibrationCount = try arguments.intOption("--calibration", default: 8)
        let fineTuneOption = try arguments.option("--fine-tune-steps")
        let threads = try arguments.intOption("--threads", default: ProcessInfo.processInfo.activeProcessorCount)
        let labelMaps = try LabelMapArguments(&arguments)

        let source = URL(fileURLWithPath: from, isDirectory: true).appendingPathComponent(SegmentationTrainer.weightsFile)
        let (conventional, metadata) = try SegmentationTrainer.load(source)
        let conventionalSteps = Int(metadata["step"] ?? "0") ?? 0
        guard conventionalSteps > 0 else { throw UsageError("\(source.path) records no training steps") }
        let fineTuneSteps = try fineTuneOption.map {
            guard let value = Int($0), value >= 0 else { throw UsageError("--fine-tune-steps expects a count") }
            return value
        } ?? max(1, conventionalSteps * 15 / 1000)
        let size = 64
        let generator = try labelMaps.generator(size: size, voxelMM: conventional.configuration.voxelMM)
        let calibration = generator.batch(run: 0xCA11B, step: 0, batchSize: calibrationCount)
        let voxels = size * size * size
        let images = (0..<calibration.count).map { Array(calibration.images[($0 * voxels)..<(($0 + 1) * voxels)]) }
        let spiking = SpikingConversion.convert(conventional, calibration: images, size: size, threads: threads)

        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SegmentationTrainer.save(spiking, to: folder.appendingPathComponent(SegmentationTrainer.weightsFile),
                                     metadata: ["step": "0", "converted_from": source.path, "conventional_steps": String(conventionalSteps)])
        var options = TrainingOptions()
        options.steps = fineTuneSteps
        options.warmupSteps = 0
        options.peakLearningRate = 2e-4
        options.runSeed = 0xF1E
        let conventionalTrainer = try SegmentationTrainer(configuration: conventional.configuration, generator: generator,
                                                          options: options, folder: URL(fileURLWithPath: from, isDirectory: true),
                                                          threads: threads)
        let trainer = try SegmentationTrainer(configuration: spiking.configuration, generator: generator, options: options,
                                              folder: folder, threads: threads)
        let conventionalDice = conventionalTrainer.validationDice()
        let convertedDice = trainer.validationDice()
        var last: StepLoss?
        while trainer.step < fineTuneSteps { last = trainer.trainStep() }
        let fineTunedDice = trainer.validationDice()
        if let last { try trainer.checkpoint(loss: last, seconds: 0, validationDice: fineTunedDice) }
        let ratio = Double(fineTuneSteps + calibrationCount) / Double(conventionalSteps) * 100
        print(String(format: "validation Dice: conventional %.4f, converted %.4f, after %d fine-tuning steps %.4f",
                     conventionalDice, convertedDice, fineTuneSteps, fineTunedDice))
        print(String(format: "extra data: %d calibration + %d fine-tuning images = %.2f %% of the conventional training's %d images",
                     calibrationCount, fineTuneSteps, ratio, conventionalSteps))
        return .success
    }
}
