import CVulkan

/// A logical device (`VkDevice`) with one compute queue, and the device-level functions it resolves.
/// The objects made on it keep it alive, so it is destroyed after them.
final class Device {
    let instance: Instance
    let physical: PhysicalDevice
    let handle: VkDevice
    let queue: VkQueue
    let api: DeviceFunctions

    init(instance: Instance, physical: PhysicalDevice) throws {
        var device: VkDevice?
        var priority: Float = 1
        var queueInfo = VkDeviceQueueCreateInfo()
        queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
        queueInfo.queueFamilyIndex = physical.queueFamily
        queueInfo.queueCount = 1
        let result = withUnsafePointer(to: &priority) { priority in
            queueInfo.pQueuePriorities = priority
            return withUnsafePointer(to: queueInfo) { queueInfo in
                var info = VkDeviceCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                info.queueCreateInfoCount = 1
                info.pQueueCreateInfos = queueInfo
                return instance.createDevice(physical.handle, &info, nil, &device)
            }
        }
        try check(result, "vkCreateDevice")
        guard let device else { throw VulkanError.failed(call: "vkCreateDevice", result: 0) }
        let api: DeviceFunctions
        do {
            api = try DeviceFunctions(device: device, loader: instance.getDeviceProcAddr)
        } catch {
            if let destroy = instance.getDeviceProcAddr(device, "vkDestroyDevice") {
                unsafeBitCast(destroy, to: PFN_vkDestroyDevice.self)(device, nil)
            }
            throw error
        }
        var queue: VkQueue?
        api.getDeviceQueue(device, physical.queueFamily, 0, &queue)
        self.instance = instance
        self.physical = physical
        self.handle = device
        self.queue = queue!
        self.api = api
    }

    deinit {
        _ = api.deviceWaitIdle(handle)
        api.destroyDevice(handle, nil)
    }
}

/// The device-level Vulkan entry points the backend calls.
struct DeviceFunctions {
    let destroyDevice: PFN_vkDestroyDevice
    let deviceWaitIdle: PFN_vkDeviceWaitIdle
    let getDeviceQueue: PFN_vkGetDeviceQueue
    let createBuffer: PFN_vkCreateBuffer
    let destroyBuffer: PFN_vkDestroyBuffer
    let getBufferMemoryRequirements: PFN_vkGetBufferMemoryRequirements
    let allocateMemory: PFN_vkAllocateMemory
    let freeMemory: PFN_vkFreeMemory
    let bindBufferMemory: PFN_vkBindBufferMemory
    let mapMemory: PFN_vkMapMemory
    let createShaderModule: PFN_vkCreateShaderModule
    let destroyShaderModule: PFN_vkDestroyShaderModule
    let createDescriptorSetLayout: PFN_vkCreateDescriptorSetLayout
    let destroyDescriptorSetLayout: PFN_vkDestroyDescriptorSetLayout
    let createPipelineLayout: PFN_vkCreatePipelineLayout
    let destroyPipelineLayout: PFN_vkDestroyPipelineLayout
    let createComputePipelines: PFN_vkCreateComputePipelines
    let destroyPipeline: PFN_vkDestroyPipeline
    let createDescriptorPool: PFN_vkCreateDescriptorPool
    let destroyDescriptorPool: PFN_vkDestroyDescriptorPool
    let resetDescriptorPool: PFN_vkResetDescriptorPool
    let allocateDescriptorSets: PFN_vkAllocateDescriptorSets
    let updateDescriptorSets: PFN_vkUpdateDescriptorSets
    let createCommandPool: PFN_vkCreateCommandPool
    let destroyCommandPool: PFN_vkDestroyCommandPool
    let allocateCommandBuffers: PFN_vkAllocateCommandBuffers
    let freeCommandBuffers: PFN_vkFreeCommandBuffers
    let beginCommandBuffer: PFN_vkBeginCommandBuffer
    let endCommandBuffer: PFN_vkEndCommandBuffer
    let resetCommandBuffer: PFN_vkResetCommandBuffer
    let cmdBindPipeline: PFN_vkCmdBindPipeline
    let cmdBindDescriptorSets: PFN_vkCmdBindDescriptorSets
    let cmdPushConstants: PFN_vkCmdPushConstants
    let cmdDispatch: PFN_vkCmdDispatch
    let cmdCopyBuffer: PFN_vkCmdCopyBuffer
    let cmdPipelineBarrier: PFN_vkCmdPipelineBarrier
    let queueSubmit: PFN_vkQueueSubmit
    let createFence: PFN_vkCreateFence
    let destroyFence: PFN_vkDestroyFence
    let waitForFences: PFN_vkWaitForFences
    let resetFences: PFN_vkResetFences

    init(device: VkDevice, loader: PFN_vkGetDeviceProcAddr) throws {
        func load<T>(_ name: String) throws -> T {
            guard let pointer = loader(device, name) else { throw VulkanError.missingFunction(name) }
            return unsafeBitCast(pointer, to: T.self)
        }
        destroyDevice = try load("vkDestroyDevice")
        deviceWaitIdle = try load("vkDeviceWaitIdle")
        getDeviceQueue = try load("vkGetDeviceQueue")
        createBuffer = try load("vkCreateBuffer")
        destroyBuffer = try load("vkDestroyBuffer")
        getBufferMemoryRequirements = try load("vkGetBufferMemoryRequirements")
        allocateMemory = try load("vkAllocateMemory")
        freeMemory = try load("vkFreeMemory")
        bindBufferMemory = try load("vkBindBufferMemory")
        mapMemory = try load("vkMapMemory")
        createShaderModule = try load("vkCreateShaderModule")
        destroyShaderModule = try load("vkDestroyShaderModule")
        createDescriptorSetLayout = try load("vkCreateDescriptorSetLayout")
        destroyDescriptorSetLayout = try load("vkDestroyDescriptorSetLayout")
        createPipelineLayout = try load("vkCreatePipelineLayout")
        destroyPipelineLayout = try load("vkDestroyPipelineLayout")
        createComputePipelines = try load("vkCreateComputePipelines")
        destroyPipeline = try load("vkDestroyPipeline")
        createDescriptorPool = try load("vkCreateDescriptorPool")
        destroyDescriptorPool = try load("vkDestroyDescriptorPool")
        resetDescriptorPool = try load("vkResetDescriptorPool")
        allocateDescriptorSets = try load("vkAllocateDescriptorSets")
        updateDescriptorSets = try load("vkUpdateDescriptorSets")
        createCommandPool = try load("vkCreateCommandPool")
        destroyCommandPool = try load("vkDestroyCommandPool")
        allocateCommandBuffers = try load("vkAllocateCommandBuffers")
        freeCommandBuffers = try load("vkFreeCommandBuffers")
        beginCommandBuffer = try load("vkBeginCommandBuffer")
        endCommandBuffer = try load("vkEndCommandBuffer")
        resetCommandBuffer = try load("vkResetCommandBuffer")
        cmdBindPipeline = try load("vkCmdBindPipeline")
        cmdBindDescriptorSets = try load("vkCmdBindDescriptorSets")
        cmdPushConstants = try load("vkCmdPushConstants")
        cmdDispatch = try load("vkCmdDispatch")
        cmdCopyBuffer = try load("vkCmdCopyBuffer")
        cmdPipelineBarrier = try load("vkCmdPipelineBarrier")
        queueSubmit = try load("vkQueueSubmit")
        createFence = try load("vkCreateFence")
        destroyFence = try load("vkDestroyFence")
        waitForFences = try load("vkWaitForFences")
        resetFences = try load("vkResetFences")
    }
}
