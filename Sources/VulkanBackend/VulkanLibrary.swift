import CVulkan
import Glibc

/// Why Vulkan work could not be done.
public enum VulkanError: Error, Sendable, CustomStringConvertible {
    /// The Vulkan loader (`libvulkan.so.1`) is not installed.
    case loaderMissing(String)
    /// The loader found no driver (`VK_ERROR_INCOMPATIBLE_DRIVER`).
    case noDriver
    /// No physical device matches the request.
    case noDevice(String)
    /// The loader or driver lacks an entry point.
    case missingFunction(String)
    /// A Vulkan call failed.
    case failed(call: String, result: Int32)

    public var description: String {
        switch self {
        case .loaderMissing(let reason): return "Vulkan is not available: cannot load libvulkan.so.1 (\(reason))"
        case .noDriver: return "Vulkan is not available: the loader found no driver (install one, or set VK_DRIVER_FILES)"
        case .noDevice(let reason): return "no suitable Vulkan device: \(reason)"
        case .missingFunction(let name): return "the Vulkan loader has no function \(name)"
        case .failed(let call, let result): return "\(call) failed with VkResult \(result)"
        }
    }
}

/// Throws `VulkanError.failed` unless `result` is `VK_SUCCESS`.
func check(_ result: VkResult, _ call: String) throws {
    guard result == .VK_SUCCESS else { throw VulkanError.failed(call: call, result: result.rawValue) }
}

/// `VK_MAKE_API_VERSION(0, major, minor, 0)`, a macro Swift cannot import.
func apiVersion(major: UInt32, minor: UInt32) -> UInt32 { (major << 22) | (minor << 12) }

/// The Vulkan loader, opened with `dlopen` at first use so that a binary without Vulkan still starts; it
/// stays loaded for the life of the process. Every other entry point is resolved through
/// `vkGetInstanceProcAddr` (and `vkGetDeviceProcAddr` for device functions).
final class VulkanLibrary: Sendable {
    let getInstanceProcAddr: PFN_vkGetInstanceProcAddr

    private init(getInstanceProcAddr: PFN_vkGetInstanceProcAddr) {
        self.getInstanceProcAddr = getInstanceProcAddr
    }

    /// The loaded library, or why it could not be loaded.
    static let shared: Result<VulkanLibrary, VulkanError> = {
        guard let handle = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.loaderMissing(dlerror().map { String(cString: $0) } ?? "not found"))
        }
        guard let symbol = dlsym(handle, "vkGetInstanceProcAddr") else {
            return .failure(.missingFunction("vkGetInstanceProcAddr"))
        }
        return .success(VulkanLibrary(getInstanceProcAddr: unsafeBitCast(symbol, to: PFN_vkGetInstanceProcAddr.self)))
    }()

    /// An entry point of `instance` (nil for the global functions such as `vkCreateInstance`).
    func function<T>(_ name: String, instance: VkInstance?) throws -> T {
        guard let pointer = getInstanceProcAddr(instance, name) else { throw VulkanError.missingFunction(name) }
        return unsafeBitCast(pointer, to: T.self)
    }
}

/// The elements of a fixed-size C array, which Swift imports as a homogeneous tuple.
func elements<Tuple, Element>(of tuple: Tuple, count: Int, as type: Element.Type) -> [Element] {
    withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: Element.self).prefix(count)) }
}
