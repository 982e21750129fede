import CVulkan

/// A descriptor pool (`VkDescriptorPool`) for storage-buffer sets, reset wholesale after each submission.
final class DescriptorPool {
    let device: Device
    let handle: VkDescriptorPool
    /// Sets it holds, and storage-buffer descriptors across them.
    let capacity: (sets: Int, descriptors: Int)

    init(device: Device, sets: Int, descriptors: Int) throws {
        var size = VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: UInt32(descriptors))
        var pool: VkDescriptorPool?
        let result = withUnsafePointer(to: &size) { size in
            var info = VkDescriptorPoolCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
            info.maxSets = UInt32(sets)
            info.poolSizeCount = 1
            info.pPoolSizes = size
            return device.api.createDescriptorPool(device.handle, &info, nil, &pool)
        }
        try check(result, "vkCreateDescriptorPool")
        self.device = device
        capacity = (sets, descriptors)
        handle = pool!
    }

    /// A set of `layout` whose bindings point at the first `bytes` of each buffer, in binding order.
    func allocate(_ layout: DescriptorSetLayout, ranges: [(buffer: Buffer, bytes: Int)]) throws -> VkDescriptorSet {
        precondition(ranges.count == layout.bindings, "\(ranges.count) buffers for \(layout.bindings) bindings")
        var set: VkDescriptorSet?
        var layoutHandle: VkDescriptorSetLayout? = layout.handle
        let result = withUnsafePointer(to: &layoutHandle) { layouts in
            var info = VkDescriptorSetAllocateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            info.descriptorPool = handle
            info.descriptorSetCount = 1
            info.pSetLayouts = layouts
            return device.api.allocateDescriptorSets(device.handle, &info, &set)
        }
        try check(result, "vkAllocateDescriptorSets")
        let infos = ranges.map { VkDescriptorBufferInfo(buffer: $0.buffer.handle, offset: 0, range: VkDeviceSize($0.bytes)) }
        infos.withUnsafeBufferPointer { infos in
            let writes = (0..<infos.count).map { index in
                var write = VkWriteDescriptorSet()
                write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                write.dstSet = set
                write.dstBinding = UInt32(index)
                write.descriptorCount = 1
                write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                write.pBufferInfo = infos.baseAddress! + index
                return write
            }
            device.api.updateDescriptorSets(device.handle, UInt32(writes.count), writes, 0, nil)
        }
        return set!
    }

    /// Returns every set to the pool.
    func reset() throws {
        try check(device.api.resetDescriptorPool(device.handle, handle, 0), "vkResetDescriptorPool")
    }

    deinit { device.api.destroyDescriptorPool(device.handle, handle, nil) }
}

/// A command pool (`VkCommandPool`) on the compute queue family whose buffers can be reset one by one.
final class CommandPool {
    let device: Device
    let handle: VkCommandPool

    init(device: Device) throws {
        var info = VkCommandPoolCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
        info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
        info.queueFamilyIndex = device.physical.queueFamily
        var pool: VkCommandPool?
        try check(device.api.createCommandPool(device.handle, &info, nil, &pool), "vkCreateCommandPool")
        self.device = device
        handle = pool!
    }

    deinit { device.api.destroyCommandPool(device.handle, handle, nil) }
}

/// A primary command buffer (`VkCommandBuffer`), returned to its pool on release.
final class CommandBuffer {
    let pool: CommandPool
    let handle: VkCommandBuffer

    init(pool: CommandPool) throws {
        let device = pool.device
        var info = VkCommandBufferAllocateInfo()
        info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
        info.commandPool = pool.handle
        info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
        info.commandBufferCount = 1
        var buffer: VkCommandBuffer?
        try check(device.api.allocateCommandBuffers(device.handle, &info, &buffer), "vkAllocateCommandBuffers")
        self.pool = pool
        handle = buffer!
    }

    deinit {
        var buffer: VkCommandBuffer? = handle
        pool.device.api.freeCommandBuffers(pool.device.handle, pool.handle, 1, &buffer)
    }
}

/// A fence (`VkFence`) that the host waits on for a submission to finish.
final class Fence {
    let device: Device
    let handle: VkFence

    init(device: Device) throws {
        var info = VkFenceCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var fence: VkFence?
        try check(device.api.createFence(device.handle, &info, nil, &fence), "vkCreateFence")
        self.device = device
        handle = fence!
    }

    /// Blocks until the fence is signalled, then unsignals it for the next submission.
    func waitAndReset() throws {
        var fence: VkFence? = handle
        try check(device.api.waitForFences(device.handle, 1, &fence, VkBool32(VK_TRUE), UInt64.max), "vkWaitForFences")
        try check(device.api.resetFences(device.handle, 1, &fence), "vkResetFences")
    }

    deinit { device.api.destroyFence(device.handle, handle, nil) }
}
