import CVulkan
import Foundation
import Tensor

/// The accelerator backend: each op uploads its operands, runs its compute shaders and downloads the
/// result in one fenced submission. Works on any Vulkan 1.1 device with a compute queue.
///
/// Pipelines are built on first use and kept; device buffers are pooled by power-of-two size. One
/// submission runs at a time (a lock serialises callers), so a backend may be shared between threads.
public final class VulkanBackend: Backend, @unchecked Sendable {
    /// The device's name as the driver reports it, e.g. "NVIDIA H200" or "llvmpipe (LLVM 15.0.6, 256 bits)".
    public let deviceName: String
    public let deviceKind: VulkanDeviceKind
    let device: Device
    private let lock = NSLock()
    private let commandPool: CommandPool
    private let commandBuffer: CommandBuffer
    private let fence: Fence
    private var descriptorPool: DescriptorPool
    private var staging: Buffer?
    private var modules: [Shader: ShaderModule] = [:]
    private var layouts: [Int: PipelineLayout] = [:]
    private var pipelines: [KernelKey: ComputePipeline] = [:]
    private var idleBuffers: [Int: [Buffer]] = [:]
    private var idleBytes = 0

    /// Idle device memory kept for reuse, in bytes.
    private static let idleBytesLimit = 1 << 30

    /// Opens the device that `request` names (an index or a name substring; see `VulkanDeviceRequest`).
    public init(_ request: VulkanDeviceRequest = .fromEnvironment(requireGPU: false)) throws {
        let instance = try Instance()
        let physical = try request.choose(from: try instance.physicalDevices())
        device = try Device(instance: instance, physical: physical)
        deviceName = physical.name
        deviceKind = physical.kind
        commandPool = try CommandPool(device: device)
        commandBuffer = try CommandBuffer(pool: commandPool)
        fence = try Fence(device: device)
        descriptorPool = try DescriptorPool(device: device, sets: 64, descriptors: 256)
    }

    public var name: String { "vulkan (\(deviceName))" }

    /// Buffers come in power-of-two sizes, so the largest that fits the device's storage-buffer range.
    public var maxTensorBytes: Int { 1 << (Int.bitWidth - 1 - device.physical.maxStorageBufferBytes.leadingZeroBitCount) }

    /// Records work with `record`, submits it once and returns the downloaded arrays in order.
    /// Vulkan failures here (device lost, out of memory) are not recoverable mid-inference: they stop the process.
    func run(_ record: (Recorder) throws -> Void) -> [[Float]] {
        lock.lock()
        defer { lock.unlock() }
        let recorder = Recorder { [unowned self] bytes in try self.takeBuffer(bytes: bytes) }
        do {
            try record(recorder)
            let results = try submit(recorder)
            for buffer in recorder.buffers { keepIdle(buffer) }
            return results
        } catch {
            fatalError("Vulkan backend on \(deviceName): \(error)")
        }
    }

    /// Runs one recorder's work: staging copies in, dispatches with barriers, copies out, fence.
    private func submit(_ recorder: Recorder) throws -> [[Float]] {
        let alignment = 256
        func aligned(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }
        let uploadOffsets = recorder.uploads.reduce(into: [0]) { $0.append($0.last! + aligned($1.destination.bytes)) }
        let downloadOffsets = recorder.downloads.reduce(into: [uploadOffsets.last!]) { $0.append($0.last! + aligned($1.bytes)) }
        let stagingBytes = max(downloadOffsets.last!, alignment)
        if (staging?.size ?? 0) < stagingBytes {
            staging = nil
            staging = try Buffer(device: device, size: stagingBytes, staging: true)
        }
        let staging = staging!
        for (upload, offset) in zip(recorder.uploads, uploadOffsets) { upload.write(staging.mapped! + offset) }

        let descriptors = recorder.dispatches.reduce(0) { $0 + $1.arrays.count }
        if descriptorPool.capacity.sets < recorder.dispatches.count || descriptorPool.capacity.descriptors < descriptors {
            descriptorPool = try DescriptorPool(device: device, sets: max(recorder.dispatches.count, 64) * 2,
                                                descriptors: max(descriptors, 256) * 2)
        }
        try descriptorPool.reset()

        let api = device.api, command = commandBuffer.handle
        try check(api.resetCommandBuffer(command, 0), "vkResetCommandBuffer")
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(api.beginCommandBuffer(command, &begin), "vkBeginCommandBuffer")
        for (upload, offset) in zip(recorder.uploads, uploadOffsets) {
            var region = VkBufferCopy(srcOffset: VkDeviceSize(offset), dstOffset: 0, size: VkDeviceSize(upload.destination.bytes))
            api.cmdCopyBuffer(command, staging.handle, upload.destination.buffer.handle, 1, &region)
        }
        barrier(command)
        for dispatch in recorder.dispatches {
            let pipeline = try pipeline(dispatch.kernel)
            api.cmdBindPipeline(command, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle)
            var set: VkDescriptorSet? = try descriptorPool.allocate(pipeline.layout.setLayout,
                                                                   ranges: dispatch.arrays.map { ($0.buffer, $0.bytes) })
            api.cmdBindDescriptorSets(command, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout.handle, 0, 1, &set, 0, nil)
            if !dispatch.push.isEmpty {
                dispatch.push.withUnsafeBytes { bytes in
                    api.cmdPushConstants(command, pipeline.layout.handle, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0,
                                         UInt32(bytes.count), bytes.baseAddress)
                }
            }
            api.cmdDispatch(command, UInt32(dispatch.groups.x), UInt32(dispatch.groups.y), UInt32(dispatch.groups.z))
            barrier(command)
        }
        for (download, offset) in zip(recorder.downloads, downloadOffsets) {
            var region = VkBufferCopy(srcOffset: 0, dstOffset: VkDeviceSize(offset), size: VkDeviceSize(download.bytes))
            api.cmdCopyBuffer(command, download.buffer.handle, staging.handle, 1, &region)
        }
        barrier(command, toHost: true)
        try check(api.endCommandBuffer(command), "vkEndCommandBuffer")

        var commandHandle: VkCommandBuffer? = command
        let result = withUnsafePointer(to: &commandHandle) { commands in
            var submit = VkSubmitInfo()
            submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
            submit.commandBufferCount = 1
            submit.pCommandBuffers = commands
            return api.queueSubmit(device.queue, 1, &submit, fence.handle)
        }
        try check(result, "vkQueueSubmit")
        try fence.waitAndReset()
        return zip(recorder.downloads, downloadOffsets).map { download, offset in
            Array(UnsafeBufferPointer(start: (staging.mapped! + offset).assumingMemoryBound(to: Float.self), count: download.count))
        }
    }

    /// Makes every earlier transfer and shader write visible to later transfers and shaders (and the host).
    private func barrier(_ command: VkCommandBuffer, toHost: Bool = false) {
        var memory = VkMemoryBarrier()
        memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        memory.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue
        memory.dstAccessMask = toHost ? VK_ACCESS_HOST_READ_BIT.rawValue
            : VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_READ_BIT.rawValue
        let source = VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue
        let destination = toHost ? VK_PIPELINE_STAGE_HOST_BIT.rawValue : source
        device.api.cmdPipelineBarrier(command, source, destination, 0, 1, &memory, 0, nil, 0, nil)
    }

    private func pipeline(_ key: KernelKey) throws -> ComputePipeline {
        if let pipeline = pipelines[key] { return pipeline }
        let module = try modules[key.shader] ?? ShaderModule(device: device, words: key.shader.words)
        modules[key.shader] = module
        let layout = try layouts[key.shader.bindings]
            ?? PipelineLayout(setLayout: DescriptorSetLayout(device: device, bindings: key.shader.bindings))
        layouts[key.shader.bindings] = layout
        let pipeline = try ComputePipeline(module: module, layout: layout, constants: key.constants)
        pipelines[key] = pipeline
        return pipeline
    }

    /// A device buffer of at least `bytes`, from the idle pool when one of its size class is there.
    private func takeBuffer(bytes: Int) throws -> Buffer {
        precondition(bytes <= device.physical.maxStorageBufferBytes,
                     "a \(bytes)-byte tensor exceeds the device's \(device.physical.maxStorageBufferBytes)-byte storage buffers")
        let size = max(256, 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount))
        if let buffer = idleBuffers[size]?.popLast() {
            idleBytes -= size
            return buffer
        }
        return try Buffer(device: device, size: size, staging: false)
    }

    private func keepIdle(_ buffer: Buffer) {
        guard idleBytes + buffer.size <= Self.idleBytesLimit else { return }
        idleBuffers[buffer.size, default: []].append(buffer)
        idleBytes += buffer.size
    }
}
