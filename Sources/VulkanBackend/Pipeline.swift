import CVulkan

/// A SPIR-V shader module (`VkShaderModule`).
final class ShaderModule {
    let device: Device
    let handle: VkShaderModule

    init(device: Device, words: [UInt32]) throws {
        var module: VkShaderModule?
        let result = words.withUnsafeBufferPointer { code in
            var info = VkShaderModuleCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
            info.codeSize = code.count * MemoryLayout<UInt32>.size
            info.pCode = code.baseAddress
            return device.api.createShaderModule(device.handle, &info, nil, &module)
        }
        try check(result, "vkCreateShaderModule")
        self.device = device
        handle = module!
    }

    deinit { device.api.destroyShaderModule(device.handle, handle, nil) }
}

/// A descriptor set layout (`VkDescriptorSetLayout`) of storage buffers at bindings `0..<bindings`.
final class DescriptorSetLayout {
    let device: Device
    let handle: VkDescriptorSetLayout
    let bindings: Int

    init(device: Device, bindings: Int) throws {
        let entries = (0..<bindings).map { index in
            var binding = VkDescriptorSetLayoutBinding()
            binding.binding = UInt32(index)
            binding.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
            binding.descriptorCount = 1
            binding.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
            return binding
        }
        var layout: VkDescriptorSetLayout?
        let result = entries.withUnsafeBufferPointer { entries in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.bindingCount = UInt32(entries.count)
            info.pBindings = entries.baseAddress
            return device.api.createDescriptorSetLayout(device.handle, &info, nil, &layout)
        }
        try check(result, "vkCreateDescriptorSetLayout")
        self.device = device
        self.bindings = bindings
        handle = layout!
    }

    deinit { device.api.destroyDescriptorSetLayout(device.handle, handle, nil) }
}

/// A pipeline layout (`VkPipelineLayout`): one descriptor set and `pushConstantBytes` of push constants.
final class PipelineLayout {
    /// Push-constant bytes every kernel may use (the minimum Vulkan guarantees).
    static let pushConstantBytes = 128

    let device: Device
    let handle: VkPipelineLayout
    let setLayout: DescriptorSetLayout

    init(setLayout: DescriptorSetLayout) throws {
        let device = setLayout.device
        var range = VkPushConstantRange()
        range.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
        range.size = UInt32(Self.pushConstantBytes)
        var layout: VkPipelineLayout?
        var setHandle: VkDescriptorSetLayout? = setLayout.handle
        let result = withUnsafePointer(to: &setHandle) { sets in
            withUnsafePointer(to: range) { range in
                var info = VkPipelineLayoutCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
                info.setLayoutCount = 1
                info.pSetLayouts = sets
                info.pushConstantRangeCount = 1
                info.pPushConstantRanges = range
                return device.api.createPipelineLayout(device.handle, &info, nil, &layout)
            }
        }
        try check(result, "vkCreatePipelineLayout")
        self.device = device
        self.setLayout = setLayout
        handle = layout!
    }

    deinit { device.api.destroyPipelineLayout(device.handle, handle, nil) }
}

/// A compute pipeline (`VkPipeline`): a shader specialised with 32-bit constants at ids `0..<count`.
final class ComputePipeline {
    let device: Device
    let handle: VkPipeline
    let layout: PipelineLayout
    let module: ShaderModule

    init(module: ShaderModule, layout: PipelineLayout, constants: [UInt32]) throws {
        let device = module.device
        let entries = constants.indices.map { index in
            VkSpecializationMapEntry(constantID: UInt32(index), offset: UInt32(index * 4), size: 4)
        }
        var pipeline: VkPipeline?
        let result = "main".withCString { entryName in
            entries.withUnsafeBufferPointer { entries in
                constants.withUnsafeBytes { data in
                    var specialization = VkSpecializationInfo()
                    specialization.mapEntryCount = UInt32(entries.count)
                    specialization.pMapEntries = entries.baseAddress
                    specialization.dataSize = data.count
                    specialization.pData = data.baseAddress
                    return withUnsafePointer(to: specialization) { specialization in
                        var stage = VkPipelineShaderStageCreateInfo()
                        stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                        stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                        stage.module = module.handle
                        stage.pName = entryName
                        stage.pSpecializationInfo = specialization
                        var info = VkComputePipelineCreateInfo()
                        info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                        info.stage = stage
                        info.layout = layout.handle
                        return device.api.createComputePipelines(device.handle, nil, 1, &info, nil, &pipeline)
                    }
                }
            }
        }
        try check(result, "vkCreateComputePipelines")
        self.device = device
        self.layout = layout
        self.module = module
        handle = pipeline!
    }

    deinit { device.api.destroyPipeline(device.handle, handle, nil) }
}
