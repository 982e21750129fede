import Foundation
import NeuroImage
import Spiking
import Tensor

/// What segmenting one volume produced.
public struct SegmentationResult: Sendable {
    /// Aseg labels on the input's own grid (int16).
    public var labels: Volume
    /// The conformed input (1 mm RAS crop, intensities 0…1) and its labels, for pictures.
    public var conformedImage: Volume
    public var conformedLabels: Volume
    /// Mean over the conformed voxels of the winning class's posterior probability.
    public var meanConfidence: Double
    /// Spike statistics of every activation site (empty for the conventional form).
    public var spikeStatistics: [String: SpikeStatistics]
    /// Dense MACs and synaptic operations of the spiking layers (estimates).
    public var operations: OperationCounts
    /// Seconds per stage: conform, network, post-processing.
    public var seconds: [String: Double]
}

/// Runs a trained `SpikingUNet3D` on a scan: conform to 1 mm RAS, average down to the network's voxel size,
/// posteriors on that grid, trilinear posteriors back up to 1 mm, argmax, clean-up (largest component per
/// structure, holes filled), then nearest-neighbour back onto the input's grid.
public final class Segmenter {
    public let model: SpikingUNet3D
    public let backend: any Backend

    public init(model: SpikingUNet3D, backend: any Backend) {
        self.model = model
        self.backend = backend
    }

    public func segment(_ volume: Volume) throws -> SegmentationResult {
        var seconds: [String: Double] = [:]
        var clock = Date()
        func lap(_ stage: String) {
            seconds[stage, default: 0] += Date().timeIntervalSince(clock)
            clock = Date()
        }
        let conformed = try Conform.conform(volume)
        let fine = conformed.volume
        let coarseGrid = Self.networkGrid(for: fine.grid, voxelMM: model.configuration.voxelMM, multiple: model.configuration.sizeMultiple)
        let coarse = try Resample.trilinear(fine, onto: coarseGrid)
        lap("conform")

        let configuration = model.configuration
        let shape = coarseGrid.shape
        guard case .float32(let values) = coarse.voxels else { preconditionFailure("resampling gives float32") }
        var statistics: [String: SpikeStatistics] = [:]
        var operations = OperationCounts(multiplyAccumulates: 0, synapticOperations: 0)
        let observe: (String, Tensor) -> Void = { site, output in
            guard configuration.activation == .spiking, let threshold = self.model.parameters["\(site).threshold"]?.value else { return }
            var counts = output
            let channels = threshold.count
            for index in counts.scalars.indices { counts.scalars[index] = (counts.scalars[index] / threshold.scalars[index % channels]).rounded() }
            var pass = SpikeStatistics(maxCount: Int(configuration.maxSpikeCount))
            pass.record(counts)
            statistics[site, default: SpikeStatistics(maxCount: Int(configuration.maxSpikeCount))].merge(pass)
            let layer = OperationCounts(convolutionSize: 3, outputChannels: channels, statistics: pass)
            operations.multiplyAccumulates += layer.multiplyAccumulates
            operations.synapticOperations += layer.synapticOperations
        }
        let classes = configuration.classes
        let area = shape.i * shape.j
        var posteriors = [Float](repeating: 0, count: area * shape.k * classes)
        for slab in Self.slabs(depth: shape.k, area: area, multiple: configuration.sizeMultiple) {
            let input = Variable(Tensor(shape: [1, slab.input.count, shape.j, shape.i, 1],
                                        scalars: Array(values[(slab.input.lowerBound * area)..<(slab.input.upperBound * area)])))
            let logits = model.logits(input, graph: Graph(backend: backend, isRecording: false), observe: observe).value
            let slabPosteriors = backend.softmax(logits).scalars
            let offset = (slab.kept.lowerBound - slab.input.lowerBound) * area * classes
            let count = slab.kept.count * area * classes
            posteriors.replaceSubrange((slab.kept.lowerBound * area * classes)..<(slab.kept.upperBound * area * classes),
                                       with: slabPosteriors[offset..<(offset + count)])
        }
        lap("network")

        let (winners, confidence) = PosteriorUpsampling.argmax(posteriors, classes: classes, coarse: coarseGrid, fine: fine.grid)
        let cleaned = LabelCleanup.clean(winners, shape: fine.shape)
        let aseg = cleaned.map { Int16(LabelSet.structures[Int($0)].asegLabel) }
        let conformedLabels = Volume(shape: fine.shape, affine: fine.affine, voxels: .int16(aseg))
        let native = try Resample.nearest(conformedLabels, onto: conformed.nativeGrid)
        lap("postprocess")
        return SegmentationResult(labels: native, conformedImage: fine, conformedLabels: conformedLabels,
                                  meanConfidence: confidence, spikeStatistics: statistics, operations: operations, seconds: seconds)
    }

    /// Voxels per network pass: with 33 classes every tensor stays under 128 MiB, the smallest storage buffer
    /// a Vulkan device may have (lavapipe's), and CPU memory stays bounded.
    static let maxVoxelsPerPass = 1 << 19

    /// Slabs along k that cover `depth` planes: each runs on `input` (with context on both sides) and keeps
    /// the posteriors of `kept`. Boundaries are multiples of `multiple`, as the network needs.
    static func slabs(depth: Int, area: Int, multiple: Int) -> [(input: Range<Int>, kept: Range<Int>)] {
        let maxDepth = max(multiple, maxVoxelsPerPass / max(area, 1) / multiple * multiple)
        guard depth > maxDepth else { return [(0..<depth, 0..<depth)] }
        let margin = min(2 * multiple, (maxDepth - multiple) / 2 / multiple * multiple)
        let core = maxDepth - 2 * margin
        return stride(from: 0, to: depth, by: core).map { start in
            let kept = start..<min(start + core, depth)
            return (max(0, kept.lowerBound - margin)..<min(depth, kept.upperBound + margin), kept)
        }
    }

    /// The network's grid over a 1 mm conformed crop: voxels of `voxelMM` whose centres sit at the centres of
    /// the fine voxel blocks they cover (so trilinear sampling averages each block), extents padded up to
    /// a multiple of `multiple`.
    static func networkGrid(for fine: VoxelGrid, voxelMM: Double, multiple: Int) -> VoxelGrid {
        let fineSpacing = fine.affine.spacingMM
        let factor = voxelMM / fineSpacing.x
        func extent(_ n: Int) -> Int {
            let covered = Int((Double(n) / factor).rounded(.up))
            return (covered + multiple - 1) / multiple * multiple
        }
        let linear = Matrix3(columns: fine.affine.linear.columns.0 * factor, fine.affine.linear.columns.1 * factor,
                             fine.affine.linear.columns.2 * factor)
        let offset = (factor - 1) / 2
        let origin = fine.affine.world(SIMD3(repeating: offset))
        return VoxelGrid(shape: VolumeShape(extent(fine.shape.i), extent(fine.shape.j), extent(fine.shape.k)),
                         affine: Affine(linear: linear, translation: origin))
    }
}
