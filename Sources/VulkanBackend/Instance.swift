import CVulkan

/// A Vulkan instance (`VkInstance`) and the instance-level functions it resolves.
final class Instance {
    let library: VulkanLibrary
    let handle: VkInstance
    let destroyInstance: PFN_vkDestroyInstance
    let enumeratePhysicalDevices: PFN_vkEnumeratePhysicalDevices
    let getPhysicalDeviceProperties: PFN_vkGetPhysicalDeviceProperties
    let getPhysicalDeviceMemoryProperties: PFN_vkGetPhysicalDeviceMemoryProperties
    let getPhysicalDeviceQueueFamilyProperties: PFN_vkGetPhysicalDeviceQueueFamilyProperties
    let createDevice: PFN_vkCreateDevice
    let getDeviceProcAddr: PFN_vkGetDeviceProcAddr

    /// Creates a Vulkan 1.1 instance; `VulkanError.noDriver` when the loader finds no driver.
    init() throws {
        library = try VulkanLibrary.shared.get()
        let create: PFN_vkCreateInstance = try library.function("vkCreateInstance", instance: nil)
        var instance: VkInstance?
        let result = "NeuroSpike".withCString { name in
            var application = VkApplicationInfo()
            application.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
            application.pApplicationName = name
            application.pEngineName = name
            application.apiVersion = apiVersion(major: 1, minor: 1)
            return withUnsafePointer(to: application) { application in
                var info = VkInstanceCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                info.pApplicationInfo = application
                return create(&info, nil, &instance)
            }
        }
        if result == .VK_ERROR_INCOMPATIBLE_DRIVER { throw VulkanError.noDriver }
        try check(result, "vkCreateInstance")
        guard let instance else { throw VulkanError.noDriver }
        handle = instance
        let destroy: PFN_vkDestroyInstance = try library.function("vkDestroyInstance", instance: instance)
        destroyInstance = destroy
        do {
            enumeratePhysicalDevices = try library.function("vkEnumeratePhysicalDevices", instance: instance)
            getPhysicalDeviceProperties = try library.function("vkGetPhysicalDeviceProperties", instance: instance)
            getPhysicalDeviceMemoryProperties = try library.function("vkGetPhysicalDeviceMemoryProperties", instance: instance)
            getPhysicalDeviceQueueFamilyProperties = try library.function("vkGetPhysicalDeviceQueueFamilyProperties",
                                                                          instance: instance)
            createDevice = try library.function("vkCreateDevice", instance: instance)
            getDeviceProcAddr = try library.function("vkGetDeviceProcAddr", instance: instance)
        } catch {
            destroy(instance, nil)
            throw error
        }
    }

    deinit { destroyInstance(handle, nil) }

    /// The physical devices that have a compute queue, in the driver's order.
    func physicalDevices() throws -> [PhysicalDevice] {
        var count: UInt32 = 0
        try check(enumeratePhysicalDevices(handle, &count, nil), "vkEnumeratePhysicalDevices")
        var handles = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try check(enumeratePhysicalDevices(handle, &count, &handles), "vkEnumeratePhysicalDevices")
        return handles.prefix(Int(count)).compactMap { $0 }.enumerated().compactMap { index, device in
            PhysicalDevice(device, index: index, instance: self)
        }
    }
}

/// What a physical device is and what the backend needs to know of it.
struct PhysicalDevice {
    let handle: VkPhysicalDevice
    /// Position in the driver's enumeration (what `NEUROSPIKE_VULKAN_DEVICE` numbers).
    let index: Int
    let name: String
    let kind: VulkanDeviceKind
    /// Queue family with compute support.
    let queueFamily: UInt32
    let maxSharedMemoryBytes: Int
    let maxWorkgroupInvocations: Int
    /// Largest storage-buffer binding, in bytes.
    let maxStorageBufferBytes: Int
    let memoryTypes: [VkMemoryType]

    /// Nil when the device has no compute queue.
    init?(_ handle: VkPhysicalDevice, index: Int, instance: Instance) {
        var properties = VkPhysicalDeviceProperties()
        instance.getPhysicalDeviceProperties(handle, &properties)
        var familyCount: UInt32 = 0
        instance.getPhysicalDeviceQueueFamilyProperties(handle, &familyCount, nil)
        var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(familyCount))
        instance.getPhysicalDeviceQueueFamilyProperties(handle, &familyCount, &families)
        let compute = VkQueueFlagBits.VK_QUEUE_COMPUTE_BIT.rawValue
        guard let family = families.firstIndex(where: { $0.queueFlags & compute != 0 }) else { return nil }
        var memory = VkPhysicalDeviceMemoryProperties()
        instance.getPhysicalDeviceMemoryProperties(handle, &memory)
        self.handle = handle
        self.index = index
        name = withUnsafeBytes(of: properties.deviceName) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        kind = VulkanDeviceKind(properties.deviceType)
        queueFamily = UInt32(family)
        maxSharedMemoryBytes = Int(properties.limits.maxComputeSharedMemorySize)
        maxWorkgroupInvocations = Int(properties.limits.maxComputeWorkGroupInvocations)
        maxStorageBufferBytes = Int(properties.limits.maxStorageBufferRange)
        memoryTypes = elements(of: memory.memoryTypes, count: Int(memory.memoryTypeCount), as: VkMemoryType.self)
    }

    /// The first memory type allowed by `allowedTypes` (a bit mask) that has `required`, preferring one that
    /// also has `preferred`.
    func memoryType(allowedTypes: UInt32, required: VkMemoryPropertyFlagBits,
                    preferred: VkMemoryPropertyFlagBits) -> UInt32? {
        let candidates = memoryTypes.indices.filter { index in
            allowedTypes & (1 << UInt32(index)) != 0
                && VkMemoryPropertyFlagBits(rawValue: memoryTypes[index].propertyFlags).isSuperset(of: required)
        }
        let best = candidates.first { VkMemoryPropertyFlagBits(rawValue: memoryTypes[$0].propertyFlags).isSuperset(of: preferred) }
        return (best ?? candidates.first).map(UInt32.init)
    }
}

/// The kinds of Vulkan device, as `VkPhysicalDeviceType` names them.
public enum VulkanDeviceKind: String, Sendable {
    case discreteGPU = "discrete GPU"
    case integratedGPU = "integrated GPU"
    case virtualGPU = "virtual GPU"
    case cpu = "CPU"
    case other = "other"

    init(_ type: VkPhysicalDeviceType) {
        switch type {
        case .VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: self = .discreteGPU
        case .VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: self = .integratedGPU
        case .VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: self = .virtualGPU
        case .VK_PHYSICAL_DEVICE_TYPE_CPU: self = .cpu
        default: self = .other
        }
    }

    /// A real GPU, which `--backend auto` takes over the CPU backend.
    public var isGPU: Bool { self == .discreteGPU || self == .integratedGPU }
}
