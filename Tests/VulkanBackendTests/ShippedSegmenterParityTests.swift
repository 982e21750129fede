import BackendParity
import CPUBackend
import Foundation
import NeuroImage
@testable import Segmentation
import Tensor
import TestSupport
import Testing
import VulkanBackend

private let colin27 = URL(fileURLWithPath: "/usr/share/mricron/templates/ch2.nii.gz")

/// The shipped network on a real head (Colin27 from Debian's mricron-data): one central 64³ inference window
/// of its 2 mm input, through the Vulkan backend and the CPU backend, labels compared voxel by voxel.
///
/// The conventional form (clipped ReLU, the training checkpoint) is continuous, so the backends' rounding
/// differences cannot change its labels. The spiking form is not: a value within rounding error of a
/// spike threshold gives one spike more or less, group norm spreads that to the whole group, and the next
/// layers amplify it. Its labels are therefore held to the CPU backend's own reproducibility: the agreement
/// between two CPU runs whose inputs differ by at most 1e-6.
@Suite(.enabled(if: VulkanFixture.present, "no Vulkan loader (libvulkan.so.1) or no Vulkan driver on this machine"),
       .enabled(if: FileManager.default.fileExists(atPath: colin27.path), "needs mricron-data (Colin27)"))
struct ShippedSegmenterParityTests {
    static let edge = 64

    static let window: Tensor = {
        do {
            let configuration = try SegmentationTrainer.load(Repository.url("pipelines/brain-t1/segmenter.safetensors")).0.configuration
            let fine = try Conform.conform(try NIfTI.read(colin27)).volume
            let grid = Segmenter.networkGrid(for: fine.grid, voxelMM: configuration.voxelMM, multiple: configuration.sizeMultiple)
            guard case .float32(let values) = try Resample.trilinear(fine, onto: grid).voxels else { preconditionFailure("resampling gives float32") }
            let shape = grid.shape
            let window = SlidingWindows.Window(origin: SIMD3((shape.i - edge) / 2, (shape.j - edge) / 2, (shape.k - edge) / 2),
                                               extent: SIMD3(repeating: edge))
            return Tensor(shape: [1, edge, edge, edge, 1], scalars: SlidingWindows(shape: shape, edge: edge).crop(values, to: window))
        } catch {
            preconditionFailure("Colin27 and the shipped segmenter load: \(error)")
        }
    }()

    static func labels(_ model: SpikingUNet3D, _ input: Tensor, on backend: any Backend) -> [Int32] {
        backend.argmax(model.logits(Variable(input), graph: Graph(backend: backend, isRecording: false)).value)
    }

    @Test func conventionalFormGivesTheCPUBackendsLabels() throws {
        let vulkan = try VulkanFixture.backend.get()
        let (model, _) = try SegmentationTrainer.load(Repository.url("pipelines/brain-t1/training/ann/model.safetensors"))
        #expect(model.configuration.activation == .clippedReLU)
        let expected = Self.labels(model, Self.window, on: CPUBackend(threadCount: 2))
        let agreement = labelAgreement(expected, Self.labels(model, Self.window, on: vulkan))
        #expect(agreement >= 0.999, "labels agree on \(agreement * 100) % of voxels on \(vulkan.name)")
        #expect(Set(expected).count > 10, "a central window of a head holds many structures")
    }

    @Test func spikingFormAgreesAsWellAsTheCPUBackendAgreesWithItself() throws {
        let vulkan = try VulkanFixture.backend.get()
        let (model, _) = try SegmentationTrainer.load(Repository.url("pipelines/brain-t1/segmenter.safetensors"))
        #expect(model.configuration.activation == .spiking)
        let cpu = CPUBackend(threadCount: 2)
        let expected = Self.labels(model, Self.window, on: cpu)
        let floor = (1...2).map { seed in
            var generator = SeededGenerator(seed: UInt64(seed))
            var nudged = Self.window
            for index in nudged.scalars.indices { nudged.scalars[index] += Float.random(in: -1e-6...1e-6, using: &generator) }
            return labelAgreement(expected, Self.labels(model, nudged, on: cpu))
        }.min()!
        let agreement = labelAgreement(expected, Self.labels(model, Self.window, on: vulkan))
        #expect(agreement >= floor - 0.01,
                "Vulkan labels agree on \(agreement * 100) % of voxels; CPU runs on inputs 1e-6 apart agree on \(floor * 100) %")
        #expect(agreement >= 0.9, "labels agree on \(agreement * 100) % of voxels on \(vulkan.name)")
    }
}
