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
/// posteriors on that grid from overlapping windows of the training crop size (`SlidingWindows`), scaled by
/// the class weights, trilinear posteriors back up to 1 mm, argmax (weighed by the scan's own class
/// intensities), clean-up (largest component per structure, distant CSF removed, holes filled), then
/// nearest-neighbour back onto the input's grid.
public final class Segmenter {
    public let model: SpikingUNet3D
    public let backend: any Backend
    /// Edge of the inference windows in network voxels: the training crop size, so that group norm sees the
    /// field of view it was trained on.
    public let windowEdge: Int
    /// Also run every window mirrored left/right and average the two passes' posteriors (left and right
    /// classes swapped back), which cancels hemisphere biases of the network at twice the network time.
    public let mirrorAveraging: Bool

    /// Per-class factors on the blended posteriors before the argmax (`ClassWeights`); nil leaves them as
    /// the network gives them.
    public let classWeights: ClassWeights?

    /// Decides the 1 mm argmax with the scan's own class intensities (`IntensityRefinement`); nil takes the
    /// interpolated posteriors' argmax.
    public let intensityRefinement: IntensityRefinement?

    public init(model: SpikingUNet3D, backend: any Backend, windowEdge: Int, mirrorAveraging: Bool, classWeights: ClassWeights?,
                intensityRefinement: IntensityRefinement?) {
        precondition(windowEdge > 0 && windowEdge % model.configuration.sizeMultiple == 0,
                     "window edge \(windowEdge) must be a positive multiple of \(model.configuration.sizeMultiple)")
        precondition(classWeights.map { $0.factors.count == model.configuration.classes } ?? true,
                     "one class weight per class")
        self.model = model
        self.backend = backend
        self.windowEdge = windowEdge
        self.mirrorAveraging = mirrorAveraging
        self.classWeights = classWeights
        self.intensityRefinement = intensityRefinement
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
            var pass = SpikeStatistics(maxCount: Int(configuration.maxSpikeCount))
            pass.record(output: output, threshold: threshold)
            statistics[site, default: SpikeStatistics(maxCount: Int(configuration.maxSpikeCount))].merge(pass)
            let layer = OperationCounts(convolutionSize: 3, outputChannels: threshold.count, statistics: pass)
            operations.multiplyAccumulates += layer.multiplyAccumulates
            operations.synapticOperations += layer.synapticOperations
        }
        let classes = configuration.classes
        let windowEdge = min(self.windowEdge, Self.maxWindowEdge(backend: backend, configuration: configuration))
        let windows = SlidingWindows(shape: shape, edge: windowEdge)
        var blend = PosteriorBlend(shape: shape, classes: classes)
        for window in windows.windows {
            let image = windows.crop(values, to: window)
            blend.add(windowPosteriors(image, extent: window.extent, observe: observe), in: window, weights: windows.weights)
        }
        var posteriors = blend.posteriors()
        if let classWeights { ClassWeights.reweight(&posteriors, by: classWeights) }
        lap("network")

        guard case .float32(let fineValues) = fine.voxels else { preconditionFailure("conforming gives float32") }
        let (winners, confidence) = PosteriorUpsampling.argmax(posteriors, classes: classes, coarse: coarseGrid, fine: fine.grid,
                                                               refinement: intensityRefinement.map { ($0, fineValues) })
        let cleaned = LabelCleanup.clean(winners, grid: fine.grid)
        let aseg = cleaned.map { Int16(LabelSet.structures[Int($0)].asegLabel) }
        let conformedLabels = Volume(shape: fine.shape, affine: fine.affine, voxels: .int16(aseg))
        let native = try Resample.nearest(conformedLabels, onto: conformed.nativeGrid)
        lap("postprocess")
        return SegmentationResult(labels: native, conformedImage: fine, conformedLabels: conformedLabels,
                                  meanConfidence: confidence, spikeStatistics: statistics, operations: operations, seconds: seconds)
    }

    /// Class posteriors `[k][j][i][class]` of one window of network voxels (`[k][j][i]`): the softmax of the
    /// logits, averaged with the mirrored pass's (classes swapped back) when `mirrorAveraging` is on.
    public func windowPosteriors(_ image: [Float], extent e: SIMD3<Int>,
                                 observe: ((String, Tensor) -> Void)? = nil) -> [Float] {
        func pass(_ image: [Float]) -> [Float] {
            let input = Variable(Tensor(shape: [1, e.z, e.y, e.x, 1], scalars: image))
            let logits = model.logits(input, graph: Graph(backend: backend, isRecording: false), observe: observe).value
            return backend.softmax(logits).scalars
        }
        var posteriors = pass(image)
        if mirrorAveraging {
            let mirrored = pass(SlidingWindows.mirrorLeftRight(image, extent: e, channelOrder: [0]))
            let swappedBack = SlidingWindows.mirrorLeftRight(mirrored, extent: e, channelOrder: LabelSet.partnerClass)
            for index in posteriors.indices { posteriors[index] = (posteriors[index] + swappedBack[index]) / 2 }
        }
        return posteriors
    }

    /// The largest window edge (a multiple of the network's size multiple) whose widest tensor, the class
    /// logits or the decoder's concatenation, fits the backend's buffers.
    static func maxWindowEdge(backend: any Backend, configuration: UNetConfiguration) -> Int {
        let widestChannels = max(configuration.classes, 2 * configuration.baseChannels)
        let voxels = backend.maxTensorBytes / (MemoryLayout<Float>.size * widestChannels)
        let edge = Int(cbrt(Double(voxels))) / configuration.sizeMultiple * configuration.sizeMultiple
        return max(configuration.sizeMultiple, edge)
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
