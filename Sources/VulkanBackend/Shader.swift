/// SPIR-V words of each compute shader, added by the build plugin from `Shaders/*.comp`.
enum SPIRV {}

/// The compute shaders, one per op family, and the storage buffers each binds (in binding order).
enum Shader: String, Hashable, CaseIterable {
    case elementwise, conv3d, convTranspose3d, matmul, pool3d, groupNorm, rows, copy, rope, attention, gatedLinearAttention

    var words: [UInt32] {
        switch self {
        case .elementwise: return SPIRV.elementwise
        case .conv3d: return SPIRV.conv3d
        case .convTranspose3d: return SPIRV.convTranspose3d
        case .matmul: return SPIRV.matmul
        case .pool3d: return SPIRV.pool3d
        case .groupNorm: return SPIRV.groupNorm
        case .rows: return SPIRV.rows
        case .copy: return SPIRV.copy
        case .rope: return SPIRV.rope
        case .attention: return SPIRV.attention
        case .gatedLinearAttention: return SPIRV.gatedLinearAttention
        }
    }

    var bindings: Int {
        switch self {
        case .pool3d: return 2
        case .elementwise, .matmul, .copy, .rope: return 3
        case .conv3d, .convTranspose3d, .rows, .attention: return 4
        case .groupNorm: return 5
        case .gatedLinearAttention: return 7
        }
    }
}

/// A shader with its specialisation constants (ids `0…`): one pipeline each.
struct KernelKey: Hashable {
    let shader: Shader
    let constants: [UInt32]
}

/// A 32-bit push-constant value; shaders read them in order, 4 bytes each.
protocol PushConstant {
    var word: UInt32 { get }
}

extension Int: PushConstant {
    var word: UInt32 {
        precondition(self >= Int(Int32.min) && self <= Int(Int32.max), "\(self) does not fit a 32-bit push constant")
        return UInt32(bitPattern: Int32(self))
    }
}

extension Float: PushConstant {
    var word: UInt32 { bitPattern }
}
