import Foundation
import NeuroImage
import Segmentation

/// `neurospike train-seg`: trains the segmentation network on synthetic images made from label maps.
enum TrainSegCommand {
    static let command = Command(
        name: "train-seg",
        summary: "train the segmentation network on synthetic images from label maps (resumable)",
        help: """
        usage: neurospike train-seg LABELMAP… --out DIR [options]

        Trains the U-Net of the brain-t1 pipeline, in its conventional form (clipped ReLU) unless --spiking,
        on SynthSeg-style images synthesised on the fly from the label maps (random contrast, geometry, bias,
        resolution, noise). DIR receives model.safetensors (weights; the configuration and the step are in
        its metadata) and training-log.tsv; a run started again with the same DIR resumes from the saved
        step (the optimiser's moments start afresh).

          --out DIR                 checkpoint folder
          --priors DIR              SynthSeg's labels_classes_priors folder (default: beside the label maps)
          --steps N                 total optimisation steps (default 2000)
          --size N                  training crop edge in voxels (default 80; a multiple of 8)
          --voxel-mm MM             training voxel size (default 2)
          --base-channels N         channels at full resolution (default 8)
          --levels N                resolution levels (default 4)
          --batch N                 images per step (default 1)
          --learning-rate X         peak learning rate (default 0.002)
          --checkpoint-every N      save every N steps (default 50)
          --validate-every N        synthetic validation Dice every N steps (default 100)
          --seed N                  seed of the synthetic image stream (default 1)
          --threads N               CPU threads (default: all cores)
          --spiking                 train the spiking form directly (straight-through gradients)
        """,
        run: run)

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        guard let out = try arguments.option("--out") else { throw UsageError("--out DIR is required") }
        var configuration = UNetConfiguration()
        configuration.baseChannels = try arguments.intOption("--base-channels", default: 8)
        configuration.levels = try arguments.intOption("--levels", default: 4, minimum: 2)
        configuration.normGroups = min(4, configuration.baseChannels)
        if arguments.flag("--spiking") { configuration.activation = .spiking }
        var options = TrainingOptions()
        options.steps = try arguments.intOption("--steps", default: 2000)
        options.batchSize = try arguments.intOption("--batch", default: 1)
        options.checkpointEvery = try arguments.intOption("--checkpoint-every", default: 50)
        options.validateEvery = try arguments.intOption("--validate-every", default: 100)
        options.runSeed = UInt64(try arguments.intOption("--seed", default: 1, minimum: 0))
        if let rate = try arguments.option("--learning-rate") {
            guard let value = Float(rate), value > 0 else { throw UsageError("--learning-rate expects a positive number") }
            options.peakLearningRate = value
        }
        let size = try arguments.intOption("--size", default: 80)
        guard size % configuration.sizeMultiple == 0 else {
            throw UsageError("--size must be a multiple of \(configuration.sizeMultiple) for \(configuration.levels) levels")
        }
        if let voxel = try arguments.option("--voxel-mm") {
            guard let value = Double(voxel), value > 0 else { throw UsageError("--voxel-mm expects a positive number") }
            configuration.voxelMM = value
        }
        let threads = try arguments.intOption("--threads", default: ProcessInfo.processInfo.activeProcessorCount)
        let labelMaps = try LabelMapArguments(&arguments)

        let generator = try labelMaps.generator(size: size, voxelMM: configuration.voxelMM)
        let trainer = try SegmentationTrainer(configuration: configuration, generator: generator, options: options,
                                              folder: URL(fileURLWithPath: out, isDirectory: true), threads: threads)
        print("training \(configuration.activation.rawValue) U-Net (\(configuration.levels) levels, \(configuration.baseChannels) base channels, "
              + "\(trainer.model.parameters.variables.reduce(0) { $0 + $1.value.count }) parameters) on \(size)³ crops at "
              + "\(configuration.voxelMM) mm from step \(trainer.step) to \(options.steps)")
        var window: [Double] = []
        while trainer.step < options.steps {
            let start = Date()
            let loss = trainer.trainStep()
            window.append(Date().timeIntervalSince(start))
            let step = trainer.step
            if step % options.checkpointEvery == 0 || step == options.steps {
                let validation = step % options.validateEvery == 0 || step == options.steps ? trainer.validationDice() : nil
                let seconds = window.reduce(0, +) / Double(window.count)
                try trainer.checkpoint(loss: loss, seconds: seconds, validationDice: validation)
                print(String(format: "step %d  %.2f s/step  cross-entropy %.4f  dice loss %.4f%@", step, seconds,
                             loss.crossEntropy, loss.dice, validation.map { String(format: "  validation Dice %.4f", $0) } ?? ""))
                fflush(nil)
                window.removeAll()
            }
        }
        return .success
    }
}
