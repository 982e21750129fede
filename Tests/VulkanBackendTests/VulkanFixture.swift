import Foundation
import VulkanBackend

/// The Vulkan backend the tests share: lavapipe unless `VK_DRIVER_FILES` (or `VK_ICD_FILENAMES`) names
/// another driver.
enum VulkanFixture {
    static let lavapipe = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"

    static let backend: Result<VulkanBackend, VulkanError> = {
        if getenv("VK_DRIVER_FILES") == nil && getenv("VK_ICD_FILENAMES") == nil {
            setenv("VK_DRIVER_FILES", lavapipe, 1)
        }
        return Result { try VulkanBackend(VulkanDeviceRequest(device: nil, requireGPU: false)) }
            .mapError { $0 as! VulkanError }
    }()

    /// False only when there is no Vulkan loader or no driver at all; any other failure fails the tests.
    static var present: Bool {
        switch backend {
        case .failure(.loaderMissing), .failure(.noDriver): return false
        default: return true
        }
    }

    /// The driver in use is a CPU implementation (lavapipe) and no device is named: `--backend auto` must
    /// then take the CPU backend.
    static var onlyLavapipe: Bool {
        guard case .success(let vulkan) = backend else { return false }
        return vulkan.deviceKind == .cpu && ProcessInfo.processInfo.environment[VulkanDeviceRequest.environmentVariable] == nil
    }
}
