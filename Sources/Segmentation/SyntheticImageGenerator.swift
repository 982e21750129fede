import Foundation
import NeuroImage

/// The random choices behind one sample, all made from its seed.
public struct SampleParameters: Sendable, Equatable {
    /// Index into the generator's label maps.
    public var labelMapIndex: Int
    /// True when the contrast came from the T1 priors, false for a fully random contrast.
    public var t1Like: Bool
    /// Per generation label (priors order): mean and standard deviation of its intensities (0…255 scale).
    public var labelMeans: [Double]
    public var labelStds: [Double]
    /// True when the extra-cerebral labels were erased (their intensities are the background's).
    public var skullStripped: Bool
    /// True for a left/right mirror image.
    public var flipped: Bool
    /// Rotation · scaling · shear applied to output positions (mm → mm, about the sample centre).
    public var linear: Matrix3
    /// Centre of the sample in the label map's world (mm).
    public var centreMM: SIMD3<Double>
    /// Standard deviation of the elastic displacements (mm).
    public var elasticStdMM: Double
    /// Standard deviation of the log bias field.
    public var biasStd: Double
    /// Acquisition voxel size simulated along i, j, k (mm).
    public var acquisitionMM: SIMD3<Double>
    /// Standard deviation of the added noise (0…255 scale).
    public var noiseStd: Double
    /// Exponent applied to the normalised intensities.
    public var gamma: Double
}

/// One training pair.
///
/// Layout of `image` and `target`: index = i + size·(j + size·k), i fastest; as a tensor, D = k, H = j,
/// W = i. Before the random deformation, i runs towards R, j towards A and k towards S.
public struct SyntheticSample: Sendable {
    public let size: Int
    public let voxelMM: Double
    /// Intensities in 0…1 (min-max normalised, then gamma).
    public let image: [Float]
    /// `LabelSet` class index (0…32) per voxel.
    public let target: [UInt8]
    /// Voxel → world (mm) of the undeformed output grid in the label map's world, for viewing.
    public let affine: Affine
    /// Intensities (0…255 scale) mapped to 0 and 1 by the min-max normalisation.
    public let intensityMin: Float
    public let intensityMax: Float
    public let parameters: SampleParameters
}

/// A batch for training: `count` samples stacked.
public struct TrainingBatch: Sendable {
    public let count: Int
    public let size: Int
    /// N × C × D × H × W float32 with C = 1 (NCDHW; equally NDHWC with C = 1): sample n starts at n·size³.
    public let images: [Float]
    /// N × D × H × W class indices (0…32), same order.
    public let targets: [UInt8]
    /// The seed of each sample.
    public let seeds: [UInt64]
}

/// SynthSeg-style training images made from label maps: for each sample, random Gaussian intensities per
/// label, a random affine and elastic deformation, random resolution, bias field, noise, gamma and
/// left/right flip; the target is the label map deformed the same way, as `LabelSet` classes.
///
/// All geometric transforms are composed into one map from output voxel to label-map voxel, evaluated once
/// per output voxel; the label map is read by nearest neighbour at those positions only. A sample depends
/// only on its seed and the options (not on threads or on other samples).
public struct SyntheticImageGenerator: Sendable {
    public let labelMaps: [TrainingLabelMap]
    public let priors: SynthesisPriors
    public let options: SynthesisOptions

    public init(labelMaps: [TrainingLabelMap], priors: SynthesisPriors, options: SynthesisOptions) {
        precondition(!labelMaps.isEmpty, "the generator needs at least one label map")
        self.labelMaps = labelMaps
        self.priors = priors
        self.options = options
    }

    /// Loads the priors from `priorsFolder` and the label maps (NIfTI) once, converted to compact form.
    public static func load(labelMaps urls: [URL], priorsFolder: URL, options: SynthesisOptions) throws -> SyntheticImageGenerator {
        let priors = try SynthesisPriors.load(from: priorsFolder)
        var maps = [Result<TrainingLabelMap, Error>?](repeating: nil, count: urls.count)
        maps.withUnsafeMutableBufferPointer { slots in
            let output = slots
            Parallel.forEach(urls.count) { n in output[n] = Result { try TrainingLabelMap.load(urls[n], priors: priors) } }
        }
        return SyntheticImageGenerator(labelMaps: try maps.map { try $0!.get() }, priors: priors, options: options)
    }

    /// The seed of sample `index` of a training run seeded by `run` (for resumable, reproducible runs).
    public static func seed(run: UInt64, index: Int) -> UInt64 { SeededRandom.derive(run, UInt64(index)) }

    /// Samples `batchSize · step … batchSize · step + batchSize − 1` of the run seeded by `run`.
    public func batch(run: UInt64, step: Int, batchSize: Int) -> TrainingBatch {
        batch(seeds: (0..<batchSize).map { Self.seed(run: run, index: step * batchSize + $0) })
    }

    /// One sample per seed, stacked.
    public func batch(seeds: [UInt64]) -> TrainingBatch {
        var images: [Float] = []
        var targets: [UInt8] = []
        let voxels = options.size * options.size * options.size
        images.reserveCapacity(voxels * seeds.count)
        targets.reserveCapacity(voxels * seeds.count)
        for seed in seeds {
            let sample = sample(seed: seed)
            images += sample.image
            targets += sample.target
        }
        return TrainingBatch(count: seeds.count, size: options.size, images: images, targets: targets, seeds: seeds)
    }

    /// The random choices of the sample with this seed.
    public func parameters(seed: UInt64) -> SampleParameters {
        var choice = SeededRandom(seed: seed, stream: 1)
        let labelMapIndex = choice.index(below: labelMaps.count)
        let flipped = choice.chance(options.flipProbability)
        let skullStripped = choice.chance(options.skullStripProbability)
        let t1Like = choice.chance(options.t1Probability)

        var contrast = SeededRandom(seed: seed, stream: 2)
        var means: [Double], stds: [Double]
        if t1Like {
            let classMeans = priors.t1Means.map { max(0, $0.mean + $0.spread * contrast.normal()) }
            let classStds = priors.t1Stds.map { max(0, $0.mean + $0.spread * contrast.normal()) }
            means = priors.t1Classes.map { classMeans[$0] }
            stds = priors.t1Classes.map { classStds[$0] }
        } else {
            let classes = (priors.tissueClasses.max() ?? 0) + 1
            let classMeans = (0..<classes).map { _ in contrast.uniform(options.randomMeanRange) }
            let classStds = (0..<classes).map { _ in contrast.uniform(options.randomStdRange) }
            means = priors.tissueClasses.map { classMeans[$0] }
            stds = priors.tissueClasses.map { classStds[$0] }
        }
        if skullStripped {
            let background = priors.backgroundIndex
            for label in priors.extraCerebral.indices where priors.extraCerebral[label] {
                means[label] = means[background]
                stds[label] = stds[background]
            }
        }

        var geometry = SeededRandom(seed: seed, stream: 3)
        let angles = (0..<3).map { _ in geometry.symmetric(options.maxRotationDegrees) * Double.pi / 180 }
        let scales = (0..<3).map { _ in 1 + geometry.symmetric(options.maxScaling) }
        let shears = (0..<6).map { _ in geometry.symmetric(options.maxShear) }
        let shift = SIMD3((0..<3).map { _ in geometry.symmetric(options.maxShiftMM) })
        let rotation = Self.rotation(x: angles[0], y: angles[1], z: angles[2])
        let shear = Matrix3(columns: SIMD3(1, shears[0], shears[1]), SIMD3(shears[2], 1, shears[3]), SIMD3(shears[4], shears[5], 1))
        let scaling = Matrix3(columns: SIMD3(scales[0], 0, 0), SIMD3(0, scales[1], 0), SIMD3(0, 0, scales[2]))

        var artefacts = SeededRandom(seed: seed, stream: 4)
        let elasticStdMM = artefacts.uniform(0...options.maxElasticMM)
        let biasStd = artefacts.uniform(0...options.maxBiasStd)
        let lowResolution = artefacts.chance(options.resolutionProbability)
        let acquisition = SIMD3((0..<3).map { _ in
            let size = artefacts.uniform(options.voxelMM...max(options.voxelMM, options.maxAcquisitionMM))
            return lowResolution && artefacts.chance(0.5) ? size : options.voxelMM
        })
        let noiseStd = artefacts.uniform(0...options.maxNoiseStd)
        let gamma = exp(options.gammaStd * artefacts.normal())

        return SampleParameters(labelMapIndex: labelMapIndex, t1Like: t1Like, labelMeans: means, labelStds: stds,
                                skullStripped: skullStripped, flipped: flipped,
                                linear: rotation.times(scaling).times(shear),
                                centreMM: labelMaps[labelMapIndex].brainCentreMM + shift,
                                elasticStdMM: elasticStdMM, biasStd: biasStd, acquisitionMM: acquisition,
                                noiseStd: noiseStd, gamma: gamma)
    }

    /// The sample with this seed.
    public func sample(seed: UInt64) -> SyntheticSample {
        let p = parameters(seed: seed)
        let side = options.size
        let map = labelMaps[p.labelMapIndex]
        let (image, target) = render(p, map: map, seed: seed)
        var intensities = image
        applyResolution(p, to: &intensities)
        if p.biasStd > 0 {
            var random = SeededRandom(seed: seed, stream: 6)
            let nodes = options.biasNodes
            let bias = SmoothField(coarse: (0..<(nodes * nodes * nodes)).map { _ in Float(p.biasStd * random.normal()) },
                                   nodes: nodes, side: side)
            intensities.withUnsafeMutableBufferPointer { buffer in
                let data = buffer
                Parallel.forEach(side) { k in
                    for j in 0..<side {
                        let row = bias.row(j: j, k: k), start = side * (j + side * k)
                        for i in 0..<side { data[start + i] *= exp(bias.value(i: i, row: row)) }
                    }
                }
            }
        }
        if p.noiseStd > 0 {
            let std = Float(p.noiseStd)
            intensities.withUnsafeMutableBufferPointer { buffer in
                let data = buffer
                Parallel.forEach(side) { k in
                    var noise = SeededRandom(seed: seed, stream: 1_000_000 + UInt64(k))
                    for n in (k * side * side)..<((k + 1) * side * side) { data[n] += std * noise.normalFloat() }
                }
            }
        }
        var low = Float.infinity, high = -Float.infinity
        for value in intensities {
            low = min(low, max(value, 0))
            high = max(high, value)
        }
        let range = max(high - low, 1e-6)
        let gamma = Float(p.gamma)
        Self.forEachSlice(&intensities, side: side) { _, value in
            let normalised = min(max((value - low) / range, 0), 1)
            value = gamma == 1 ? normalised : pow(normalised, gamma)
        }
        let h = Double(side - 1) / 2
        let affine = Affine(linear: Matrix3(columns: SIMD3(options.voxelMM, 0, 0), SIMD3(0, options.voxelMM, 0), SIMD3(0, 0, options.voxelMM)),
                            translation: p.centreMM - SIMD3(repeating: h * options.voxelMM))
        return SyntheticSample(size: side, voxelMM: options.voxelMM, image: intensities, target: target, affine: affine,
                               intensityMin: low, intensityMax: high, parameters: p)
    }

    /// Maps every output voxel into the label map (affine, flip and elastic displacement composed), reads the
    /// label there by nearest neighbour and draws its intensity from the label's Gaussian.
    private func render(_ p: SampleParameters, map: TrainingLabelMap, seed: UInt64) -> (image: [Float], target: [UInt8]) {
        let side = options.size
        let s = options.voxelMM
        let h = Double(side - 1) / 2
        // Output voxel v → label-map voxel u = M·v + t + displacement(v).
        let outputToWorld = p.linear.times(Matrix3(columns: SIMD3(p.flipped ? -s : s, 0, 0), SIMD3(0, s, 0), SIMD3(0, 0, s)))
        let m = map.worldToVoxel.linear.times(outputToWorld)
        let t = map.worldToVoxel.world(p.centreMM - outputToWorld.times(SIMD3(repeating: h)))
        let displacement = displacementField(p, map: map, seed: seed)
        let targetTable = priors.targetClasses.map { UInt8(p.flipped ? LabelSet.partnerClass[$0] : $0) }
        let means = p.labelMeans.map(Float.init), stds = p.labelStds.map(Float.init)
        let (ni, nj, nk) = (map.grid.shape.i, map.grid.shape.j, map.grid.shape.k)
        let background = UInt8(priors.backgroundIndex)
        let count = side * side * side
        var target = [UInt8](repeating: 0, count: count)
        let image: [Float] = map.labelIndices.withUnsafeBufferPointer { labels in
            target.withUnsafeMutableBufferPointer { targetBuffer in
                let targetOut = targetBuffer
                return Parallel.makeArray(count: count, repeating: Float(0), chunks: side) { k, imageOut in
                    var random = SeededRandom(seed: seed, stream: 2_000_000 + UInt64(k))
                    for j in 0..<side {
                        let row = m.times(SIMD3(0, Double(j), Double(k))) + t
                        for i in 0..<side {
                            let n = i + side * (j + side * k)
                            var u = row + m.columns.0 * Double(i)
                            if let displacement {
                                let fieldRow = displacement.x.row(j: j, k: k)
                                u += SIMD3(Double(displacement.x.value(i: i, row: fieldRow)), Double(displacement.y.value(i: i, row: fieldRow)),
                                           Double(displacement.z.value(i: i, row: fieldRow)))
                            }
                            let x = Int((u.x + 0.5).rounded(.down)), y = Int((u.y + 0.5).rounded(.down)), z = Int((u.z + 0.5).rounded(.down))
                            let inside = x >= 0 && y >= 0 && z >= 0 && x < ni && y < nj && z < nk
                            let label = Int(inside ? labels[x + ni * (y + nj * z)] : background)
                            targetOut[n] = targetTable[label]
                            imageOut[n] = stds[label] > 0 ? means[label] + stds[label] * random.normalFloat() : means[label]
                        }
                    }
                }
            }
        }
        return (image, target)
    }

    /// Elastic displacements in label-map voxels per output voxel (x, y, z arrays), nil when off. Drawn in
    /// world mm on a coarse grid over the sample and upsampled smoothly; mirrored with the image when flipped.
    private func displacementField(_ p: SampleParameters, map: TrainingLabelMap, seed: UInt64) -> (x: SmoothField, y: SmoothField, z: SmoothField)? {
        guard p.elasticStdMM > 0 else { return nil }
        var random = SeededRandom(seed: seed, stream: 5)
        let nodes = options.elasticNodes
        var coarse = [[Float]](repeating: [Float](repeating: 0, count: nodes * nodes * nodes), count: 3)
        for n in 0..<(nodes * nodes * nodes) {
            let world = SIMD3(random.normal(), random.normal(), random.normal()) * p.elasticStdMM
            let voxel = map.worldToVoxel.linear.times(world)
            let node = p.flipped ? (nodes - 1 - n % nodes) + n / nodes * nodes : n
            for axis in 0..<3 { coarse[axis][node] = Float(voxel[axis]) }
        }
        let fields = coarse.map { SmoothField(coarse: $0, nodes: nodes, side: options.size) }
        return (fields[0], fields[1], fields[2])
    }

    /// Blur and down/up-sampling along each axis to the sample's acquisition voxel size.
    private func applyResolution(_ p: SampleParameters, to image: inout [Float]) {
        for axis in 0..<3 {
            let ratio = p.acquisitionMM[axis] / options.voxelMM
            let sigma = ratio > 1 ? 0.75 * ratio : options.baseBlurVoxels
            if sigma > 0 {
                CubeFilters.blur(&image, side: options.size, axis: axis, kernel: CubeFilters.gaussianKernel(sigma: sigma))
            }
            if ratio > 1 {
                CubeFilters.decimate(&image, side: options.size, axis: axis, ratio: ratio)
            }
        }
    }

    /// Updates every voxel in place, one k slice per task.
    private static func forEachSlice(_ cube: inout [Float], side: Int, _ update: (Int, inout Float) -> Void) {
        cube.withUnsafeMutableBufferPointer { buffer in
            let data = buffer
            Parallel.forEach(side) { k in
                for n in (k * side * side)..<((k + 1) * side * side) { update(n, &data[n]) }
            }
        }
    }

    private static func rotation(x: Double, y: Double, z: Double) -> Matrix3 {
        let rx = Matrix3(columns: SIMD3(1, 0, 0), SIMD3(0, cos(x), sin(x)), SIMD3(0, -sin(x), cos(x)))
        let ry = Matrix3(columns: SIMD3(cos(y), 0, -sin(y)), SIMD3(0, 1, 0), SIMD3(sin(y), 0, cos(y)))
        let rz = Matrix3(columns: SIMD3(cos(z), sin(z), 0), SIMD3(-sin(z), cos(z), 0), SIMD3(0, 0, 1))
        return rz.times(ry).times(rx)
    }
}
