import Foundation
import NeuroImage
import Segmentation
import TestSupport
import Testing

struct SyntheticImageGeneratorTests {
    static let labels = [0, 2, 3, 17, 24, 41, 42, 53, 502]

    static let priors: SynthesisPriors = {
        let means = [5.0, 160, 95, 100, 45, 30].map { GaussianPrior(mean: $0, spread: $0 / 10) }
        let stds = [2.0, 8, 8, 6, 6, 10].map { GaussianPrior(mean: $0, spread: 1) }
        let classes = [0, 1, 2, 3, 4, 1, 2, 3, 5]
        return try! SynthesisPriors(generationLabels: labels, tissueClasses: classes, t1Classes: classes,
                                    t1Means: means, t1Stds: stds, targetLabels: [0, 2, 3, 17, 24, 41, 42, 53, 0])
    }()

    /// A 72³ 1 mm LIA "head": hemispheres of white matter (2 left, 41 right) with a hippocampus in each
    /// (17, 53), a cortex shell (3, 42), CSF (24) and a skull (502).
    static let phantom: TrainingLabelMap = {
        let affine = Affine(rows: [[-1, 0, 0, 36], [0, 0, 1, -36], [0, -1, 0, 36]])
        let shape = VolumeShape(72, 72, 72)
        var values = [Float](repeating: 0, count: shape.count)
        var n = 0
        for k in 0..<72 {
            for j in 0..<72 {
                for i in 0..<72 {
                    let p = affine.world(SIMD3(Double(i), Double(j), Double(k)))
                    let r = length(p * SIMD3(1, 0.9, 1.1))
                    let left = p.x < 0
                    var label = 0
                    if r < 25 { label = left ? 2 : 41 }
                    if length(p - SIMD3(left ? -12 : 12, 0, 0)) < 7 { label = left ? 17 : 53 }
                    if r >= 25 && r < 30 { label = left ? 3 : 42 }
                    if r >= 30 && r < 33 { label = 24 }
                    if r >= 33 && r < 36 { label = 502 }
                    values[n] = Float(label)
                    n += 1
                }
            }
        }
        return try! TrainingLabelMap(name: "phantom", volume: Volume(shape: shape, affine: affine, voxels: .float32(values)),
                                     priors: priors)
    }()

    static func generator(_ configure: (inout SynthesisOptions) -> Void = { _ in }) -> SyntheticImageGenerator {
        var options = SynthesisOptions(size: 32, voxelMM: 2)
        // The phantom's brain is smaller than a real one: shifts as far as a real head's windows would
        // leave the crop mostly outside it.
        options.maxShiftMM = 10
        configure(&options)
        return SyntheticImageGenerator(labelMaps: [phantom], priors: priors, options: options)
    }

    @Test func sameSeedGivesTheSameSampleAndAnotherSeedAnother() {
        let generator = Self.generator()
        let a = generator.sample(seed: 11), b = generator.sample(seed: 11), c = generator.sample(seed: 12)
        #expect(a.image == b.image)
        #expect(a.target == b.target)
        #expect(a.parameters == b.parameters)
        #expect(a.image != c.image)
        #expect(a.parameters != c.parameters)
    }

    @Test func targetsHoldOnlyLabelSetClassesAndImagesStayInRange() {
        let generator = Self.generator()
        for seed in UInt64(0)..<4 {
            let sample = generator.sample(seed: seed)
            #expect(sample.target.count == 32 * 32 * 32 && sample.image.count == 32 * 32 * 32)
            #expect(sample.target.allSatisfy { Int($0) < LabelSet.count })
            #expect(sample.image.allSatisfy { (0...1).contains($0) })
            #expect(Set(sample.target).count >= 5)
        }
    }

    @Test func flipMirrorsTheImageAndSwapsLeftAndRight() {
        func flat(_ flip: Double) -> SyntheticImageGenerator {
            Self.generator { options in
                options = options.withoutIntensityArtefacts()
                options.t1Probability = 0
                options.randomStdRange = 0...0
                options.flipProbability = flip
            }
        }
        let plain = flat(0).sample(seed: 5), mirrored = flat(1).sample(seed: 5)
        #expect(!plain.parameters.flipped && mirrored.parameters.flipped)
        let side = 32
        var agreeing = 0, swapped = 0
        for k in 0..<side {
            for j in 0..<side {
                for i in 0..<side {
                    let n = i + side * (j + side * k), m = (side - 1 - i) + side * (j + side * k)
                    if mirrored.image[n] == plain.image[m] && Int(mirrored.target[n]) == LabelSet.partnerClass[Int(plain.target[m])] {
                        agreeing += 1
                    }
                    if LabelSet.asegLabels[Int(plain.target[m])] == 17 && LabelSet.asegLabels[Int(mirrored.target[n])] == 53 { swapped += 1 }
                }
            }
        }
        #expect(Double(agreeing) >= 0.999 * Double(side * side * side))
        #expect(swapped > 20)
    }

    @Test func labelMeansMatchTheDrawnClassMeansWithoutArtefacts() throws {
        let generator = Self.generator { options in
            options = options.withoutIntensityArtefacts()
            options.t1Probability = 1
            options.flipProbability = 0
        }
        let sample = generator.sample(seed: 3)
        let range = sample.intensityMax - sample.intensityMin
        for label in [2, 17, 41, 53] {
            let index = try #require(Self.labels.firstIndex(of: label))
            let target = try #require(LabelSet.classIndex(ofAseg: label))
            let values = zip(sample.image, sample.target).filter { Int($0.1) == target }.map { Double($0.0 * range + sample.intensityMin) }
            #expect(values.count > 50)
            let mean = values.reduce(0, +) / Double(values.count)
            let tolerance = 4 * sample.parameters.labelStds[index] / Double(values.count).squareRoot() + 0.01
            #expect(abs(mean - sample.parameters.labelMeans[index]) < tolerance, "label \(label)")
        }
        // Left and right share a tissue class and so a T1 class mean.
        #expect(sample.parameters.labelMeans[1] == sample.parameters.labelMeans[5])
    }

    @Test func skullStrippingGivesExtraCerebralLabelsTheBackgroundIntensity() {
        let parameters = Self.generator { $0.skullStripProbability = 1 }.parameters(seed: 9)
        #expect(parameters.skullStripped)
        #expect(parameters.labelMeans[8] == parameters.labelMeans[0] && parameters.labelStds[8] == parameters.labelStds[0])
        #expect(!Self.generator { $0.skullStripProbability = 0 }.parameters(seed: 9).skullStripped)
    }

    @Test func batchStacksSamplesInSeedOrder() {
        let generator = Self.generator()
        let batch = generator.batch(run: 42, step: 3, batchSize: 2)
        let seeds = [SyntheticImageGenerator.seed(run: 42, index: 6), SyntheticImageGenerator.seed(run: 42, index: 7)]
        #expect(batch.seeds == seeds)
        #expect(batch.count == 2 && batch.size == 32)
        let samples = seeds.map { generator.sample(seed: $0) }
        #expect(batch.images == samples[0].image + samples[1].image)
        #expect(batch.targets == samples[0].target + samples[1].target)
    }

    @Test func unknownLabelIsRejected() {
        let volume = Volume(shape: VolumeShape(2, 2, 2), affine: .diagonal(spacingMM: SIMD3(1, 1, 1)),
                            voxels: .float32([0, 2, 2, 99, 0, 0, 0, 0]))
        #expect(throws: SynthesisError.self) { try TrainingLabelMap(name: "bad", volume: volume, priors: Self.priors) }
    }

    @Test(.enabled(if: SharedData.has("labelmaps/synthseg-training/labels_classes_priors"),
                   SharedData.reason("labelmaps/synthseg-training")))
    func synthesisesFromTheTrainingLabelMaps() throws {
        let priors = try SynthesisPriors.load(from: SharedData.priors)
        #expect(priors.generationLabels.count == 54 && priors.t1Means.count == 25)
        let csf = try #require(priors.generationLabels.firstIndex(of: 24))
        #expect(LabelSet.asegLabels[priors.targetClasses[csf]] == 24)
        let lesion = try #require(priors.generationLabels.firstIndex(of: 25))
        #expect(LabelSet.asegLabels[priors.targetClasses[lesion]] == 2)
        #expect(priors.extraCerebral.filter { $0 }.count == 11)

        let generator = try SyntheticImageGenerator.load(labelMaps: [SharedData.labelMaps.appendingPathComponent("training_seg_01.nii.gz")],
                                                         priorsFolder: SharedData.priors, options: SynthesisOptions(size: 64, voxelMM: 2))
        let sample = generator.sample(seed: 1)
        #expect(sample.target.allSatisfy { Int($0) < LabelSet.count })
        #expect(Set(sample.target).count >= 25)
    }
}
