import Tensor

/// `count` 32-bit values (fp32, or int32 ids) in a device-local buffer.
struct DeviceArray {
    let buffer: Buffer
    let count: Int

    /// Bytes the shaders see (at least 4, so that an empty tensor still binds).
    var bytes: Int { max(count, 1) * 4 }
}

/// The work of one submission, recorded in order: uploads, dispatches, downloads. `VulkanBackend.run`
/// turns it into one command buffer with a barrier after each step, submits it with a fence and waits.
final class Recorder {
    struct Upload {
        let destination: DeviceArray
        let write: (UnsafeMutableRawPointer) -> Void
    }

    struct Dispatch {
        let kernel: KernelKey
        let arrays: [DeviceArray]
        let push: [UInt32]
        let groups: (x: Int, y: Int, z: Int)
    }

    private let allocate: (Int) throws -> Buffer
    private(set) var uploads: [Upload] = []
    private(set) var dispatches: [Dispatch] = []
    private(set) var downloads: [DeviceArray] = []
    /// Every buffer handed out, to return to the pool after the submission.
    private(set) var buffers: [Buffer] = []

    init(allocate: @escaping (Int) throws -> Buffer) {
        self.allocate = allocate
    }

    /// A device array of `count` values, contents undefined until a dispatch writes it.
    func array(count: Int) throws -> DeviceArray {
        let buffer = try allocate(max(count, 1) * 4)
        buffers.append(buffer)
        return DeviceArray(buffer: buffer, count: count)
    }

    /// A device array holding `values` once the submission starts.
    func upload<Value: BitwiseCopyable>(_ values: [Value]) throws -> DeviceArray {
        precondition(MemoryLayout<Value>.stride == 4, "device arrays hold 32-bit values")
        let array = try array(count: values.count)
        uploads.append(Upload(destination: array) { target in
            values.withUnsafeBytes { source in
                if let base = source.baseAddress { target.copyMemory(from: base, byteCount: source.count) }
            }
        })
        return array
    }

    func upload(_ tensor: Tensor) throws -> DeviceArray { try upload(tensor.scalars) }

    /// Runs `shader` over `groups` workgroups with `arrays` at bindings `0…` and `push` as push constants;
    /// nothing when a group count is zero.
    func dispatch(_ shader: Shader, constants: [UInt32], arrays: [DeviceArray], push: [any PushConstant],
                  groups: (x: Int, y: Int, z: Int)) {
        precondition(arrays.count == shader.bindings, "\(shader) binds \(shader.bindings) arrays, got \(arrays.count)")
        precondition(push.count * 4 <= PipelineLayout.pushConstantBytes, "too many push constants for \(shader)")
        guard groups.x > 0 && groups.y > 0 && groups.z > 0 else { return }
        dispatches.append(Dispatch(kernel: KernelKey(shader: shader, constants: constants), arrays: arrays,
                                   push: push.map(\.word), groups: groups))
    }

    /// Copies `array` back to the host after the dispatches; its values come back in order of these calls.
    func download(_ array: DeviceArray) {
        downloads.append(array)
    }
}
