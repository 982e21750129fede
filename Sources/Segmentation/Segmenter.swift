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
        let graph = Graph(backend: backend, isRecording: false)
        let input = Variable(Tensor(shape: [1, shape.k, shape.j, shape.i, 1], scalars: values))
        let logits = model.logits(input, graph: graph) { site, output in
            guard configuration.activation == .spiking, let threshold = self.model.parameters["\(site).threshold"]?.value else { return }
            var counts = output
            let channels = threshold.count
            for index in counts.scalars.indices { counts.scalars[index] = (counts.scalars[index] / threshold.scalars[index % channels]).rounded() }
            var siteStatistics = SpikeStatistics(maxCount: Int(configuration.maxSpikeCount))
            siteStatistics.record(counts)
            statistics[site] = siteStatistics
            let layer = OperationCounts(convolutionSize: 3, outputChannels: channels, statistics: siteStatistics)
            operations.multiplyAccumulates += layer.multiplyAccumulates
            operations.synapticOperations += layer.synapticOperations
        }.value
        let posteriors = backend.softmax(logits)
        lap("network")

        let (classes, confidence) = PosteriorUpsampling.argmax(posteriors.scalars, classes: configuration.classes,
                                                               coarse: coarseGrid, fine: fine.grid)
        let cleaned = LabelCleanup.clean(classes, shape: fine.shape)
        let aseg = cleaned.map { Int16(LabelSet.structures[Int($0)].asegLabel) }
        let conformedLabels = Volume(shape: fine.shape, affine: fine.affine, voxels: .int16(aseg))
        let native = try Resample.nearest(conformedLabels, onto: conformed.nativeGrid)
        lap("postprocess")
        return SegmentationResult(labels: native, conformedImage: fine, conformedLabels: conformedLabels,
                                  meanConfidence: confidence, spikeStatistics: statistics, operations: operations, seconds: seconds)
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
