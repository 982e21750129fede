import CPUBackend
import Foundation
import Tensor

/// A Vulkan device as the driver lists it.
public struct VulkanDeviceInfo: Sendable, Equatable {
    /// Position in the driver's enumeration.
    public let index: Int
    public let name: String
    public let kind: VulkanDeviceKind

    public init(index: Int, name: String, kind: VulkanDeviceKind) {
        self.index = index
        self.name = name
        self.kind = kind
    }
}

/// Which Vulkan device to open.
public struct VulkanDeviceRequest: Sendable {
    /// The environment variable that names a device: an index ("1") or a name substring ("H200", "llvmpipe").
    public static let environmentVariable = "NEUROSPIKE_VULKAN_DEVICE"

    /// An enumeration index or a case-insensitive substring of the device name; nil takes the best device.
    public var device: String?
    /// Without a named device, refuse CPU implementations such as lavapipe (what `--backend auto` wants).
    public var requireGPU: Bool

    public init(device: String?, requireGPU: Bool) {
        self.device = device
        self.requireGPU = requireGPU
    }

    /// The device named by `NEUROSPIKE_VULKAN_DEVICE`, if set and not empty.
    public static func fromEnvironment(requireGPU: Bool) -> VulkanDeviceRequest {
        let named = ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        return VulkanDeviceRequest(device: named, requireGPU: requireGPU)
    }

    /// The named device, else the first discrete GPU, integrated GPU, virtual GPU, then any other.
    public func choose(among devices: [VulkanDeviceInfo]) throws -> VulkanDeviceInfo {
        let listing = devices.map { "\($0.index): \($0.name) (\($0.kind.rawValue))" }.joined(separator: "; ")
        if let device {
            let match = Int(device).flatMap { index in devices.first { $0.index == index } }
                ?? devices.first { $0.name.localizedCaseInsensitiveContains(device) }
            guard let match else {
                throw VulkanError.noDevice("\(Self.environmentVariable)=\(device) matches none of [\(listing)]")
            }
            return match
        }
        let order: [VulkanDeviceKind] = requireGPU ? [.discreteGPU, .integratedGPU]
            : [.discreteGPU, .integratedGPU, .virtualGPU, .cpu, .other]
        for kind in order {
            if let match = devices.first(where: { $0.kind == kind }) { return match }
        }
        throw VulkanError.noDevice(devices.isEmpty ? "the driver lists no device with a compute queue"
                                                   : "no GPU among [\(listing)]")
    }

    func choose(from devices: [PhysicalDevice]) throws -> PhysicalDevice {
        let chosen = try choose(among: devices.map(\.info))
        return devices.first { $0.index == chosen.index }!
    }
}

extension PhysicalDevice {
    var info: VulkanDeviceInfo { VulkanDeviceInfo(index: index, name: name, kind: kind) }
}

extension VulkanBackend {
    /// The devices the Vulkan driver lists (those with a compute queue).
    public static func devices() throws -> [VulkanDeviceInfo] {
        try Instance().physicalDevices().map(\.info)
    }
}

/// `--backend auto|vulkan|cpu`.
public enum BackendChoice: String, CaseIterable, Sendable {
    /// A GPU through Vulkan if there is one, else the CPU backend; the device `NEUROSPIKE_VULKAN_DEVICE` names
    /// (lavapipe too) when it is set.
    case auto
    /// Vulkan on the best device, a CPU implementation such as lavapipe included; an error when there is none.
    case vulkan
    case cpu

    /// The backend this choice stands for.
    public func makeBackend(cpuThreads: Int) throws -> any Backend {
        switch self {
        case .cpu:
            return CPUBackend(threadCount: cpuThreads)
        case .vulkan:
            return try VulkanBackend(.fromEnvironment(requireGPU: false))
        case .auto:
            let request = VulkanDeviceRequest.fromEnvironment(requireGPU: true)
            do {
                return try VulkanBackend(request)
            } catch is VulkanError where request.device == nil {
                return CPUBackend(threadCount: cpuThreads)
            }
        }
    }
}
