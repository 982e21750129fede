import BackendParity
import CPUBackend
import Tensor
import Testing
import VulkanBackend

@Suite(.enabled(if: VulkanFixture.present, "no Vulkan loader (libvulkan.so.1) or no Vulkan driver on this machine"))
struct ParityTests {
    @Test("op matches the CPU backend", arguments: ParityCases.all)
    func opMatchesCPU(_ parityCase: ParityCase) throws {
        let vulkan = try VulkanFixture.backend.get()
        let result = parityCase.check(reference: CPUBackend(threadCount: 1), candidate: vulkan)
        #expect(result.passed, "\(parityCase.name): relative error \(result.relativeError) on \(vulkan.name)")
    }

    @Test("random spiking U-Net gives the CPU backend's labels")
    func unetLabels() throws {
        let vulkan = try VulkanFixture.backend.get()
        var generator = SeededGenerator(seed: 3)
        let network = RandomSpikingUNet()
        let input = Tensor.randomNormal(shape: [1, 16, 16, 12, 1], using: &generator)
        let cpu = CPUBackend(threadCount: 2)
        let expected = labels(network.forward(input, on: cpu), on: cpu)
        let actual = labels(network.forward(input, on: vulkan), on: vulkan)
        let agreement = labelAgreement(expected, actual)
        #expect(agreement >= 0.999, "labels agree on \(agreement * 100) % of voxels")
        #expect(Set(expected).count > 1, "a network that gives one label everywhere tests nothing")
    }
}

@Suite struct DeviceSelectionTests {
    let devices = [VulkanDeviceInfo(index: 0, name: "llvmpipe (LLVM 15.0.6, 256 bits)", kind: .cpu),
                   VulkanDeviceInfo(index: 1, name: "Intel(R) UHD Graphics 770", kind: .integratedGPU),
                   VulkanDeviceInfo(index: 2, name: "NVIDIA H200", kind: .discreteGPU)]

    @Test func prefersDiscreteThenIntegrated() throws {
        #expect(try VulkanDeviceRequest(device: nil, requireGPU: true).choose(among: devices).index == 2)
        #expect(try VulkanDeviceRequest(device: nil, requireGPU: true).choose(among: Array(devices.prefix(2))).index == 1)
    }

    @Test func autoRefusesLavapipeButExplicitVulkanTakesIt() throws {
        let lavapipeOnly = Array(devices.prefix(1))
        #expect(throws: VulkanError.self) { try VulkanDeviceRequest(device: nil, requireGPU: true).choose(among: lavapipeOnly) }
        #expect(try VulkanDeviceRequest(device: nil, requireGPU: false).choose(among: lavapipeOnly).index == 0)
    }

    @Test func namesByIndexOrSubstring() throws {
        #expect(try VulkanDeviceRequest(device: "1", requireGPU: true).choose(among: devices).index == 1)
        #expect(try VulkanDeviceRequest(device: "h200", requireGPU: true).choose(among: devices).index == 2)
        #expect(try VulkanDeviceRequest(device: "llvmpipe", requireGPU: true).choose(among: devices).index == 0)
        #expect(throws: VulkanError.self) { try VulkanDeviceRequest(device: "radeon", requireGPU: false).choose(among: devices) }
    }
}

struct BackendChoiceTests {
    @Test(.enabled(if: VulkanFixture.onlyLavapipe, "needs lavapipe as the only driver and NEUROSPIKE_VULKAN_DEVICE unset"))
    func autoFallsBackToTheCPUBackendOnLavapipe() throws {
        #expect(try BackendChoice.auto.makeBackend(cpuThreads: 1) is CPUBackend)
        #expect(try BackendChoice.vulkan.makeBackend(cpuThreads: 1) is VulkanBackend)
        #expect(try BackendChoice.cpu.makeBackend(cpuThreads: 1) is CPUBackend)
    }
}
