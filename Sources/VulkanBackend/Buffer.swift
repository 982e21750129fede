import CVulkan

/// A storage buffer (`VkBuffer`) with its own memory (`VkDeviceMemory`): device-local for tensors, or
/// host-visible, coherent and persistently mapped for staging.
final class Buffer {
    let device: Device
    let handle: VkBuffer
    let memory: VkDeviceMemory
    /// Capacity in bytes.
    let size: Int
    /// The mapped memory of a staging buffer; nil for a device-local one.
    let mapped: UnsafeMutableRawPointer?

    init(device: Device, size: Int, staging: Bool) throws {
        precondition(size > 0, "buffer of \(size) bytes")
        let usage: VkBufferUsageFlagBits = [.VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, .VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                            .VK_BUFFER_USAGE_TRANSFER_DST_BIT]
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = VkDeviceSize(size)
        info.usage = usage.rawValue
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var buffer: VkBuffer?
        try check(device.api.createBuffer(device.handle, &info, nil, &buffer), "vkCreateBuffer")
        var requirements = VkMemoryRequirements()
        device.api.getBufferMemoryRequirements(device.handle, buffer, &requirements)
        let (required, preferred): (VkMemoryPropertyFlagBits, VkMemoryPropertyFlagBits) = staging
            ? ([.VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, .VK_MEMORY_PROPERTY_HOST_COHERENT_BIT], .VK_MEMORY_PROPERTY_HOST_CACHED_BIT)
            : ([], .VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
        var memory: VkDeviceMemory?
        var mapped: UnsafeMutableRawPointer?
        do {
            guard let type = device.physical.memoryType(allowedTypes: requirements.memoryTypeBits, required: required,
                                                        preferred: preferred) else {
                throw VulkanError.noDevice("no memory type for a \(staging ? "staging" : "device") buffer")
            }
            var allocation = VkMemoryAllocateInfo()
            allocation.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
            allocation.allocationSize = requirements.size
            allocation.memoryTypeIndex = type
            try check(device.api.allocateMemory(device.handle, &allocation, nil, &memory), "vkAllocateMemory")
            try check(device.api.bindBufferMemory(device.handle, buffer, memory, 0), "vkBindBufferMemory")
            if staging {
                try check(device.api.mapMemory(device.handle, memory, 0, VkDeviceSize(size), 0, &mapped), "vkMapMemory")
            }
        } catch {
            device.api.freeMemory(device.handle, memory, nil)
            device.api.destroyBuffer(device.handle, buffer, nil)
            throw error
        }
        self.device = device
        self.handle = buffer!
        self.memory = memory!
        self.size = size
        self.mapped = mapped
    }

    deinit {
        device.api.destroyBuffer(device.handle, handle, nil)
        device.api.freeMemory(device.handle, memory, nil)
    }
}
