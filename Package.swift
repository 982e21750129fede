// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "NeuroSpike",
    products: [
        .executable(name: "neurospike", targets: ["neurospike"]),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CKernels"),
        .target(name: "Tensor"),
        .target(name: "CPUBackend", dependencies: ["Tensor", "CBLAS", "CKernels"]),
        .target(name: "Spiking", dependencies: ["Tensor"]),
        .systemLibrary(name: "CVulkan", providers: [.apt(["libvulkan-dev"])]),
        .target(name: "VulkanBackend", dependencies: ["Tensor", "CPUBackend", "CVulkan"],
                plugins: ["SPIRVCompiler"]),
        .plugin(name: "SPIRVCompiler", capability: .buildTool()),
        .target(name: "BackendParity", dependencies: ["Tensor", "VulkanBackend"]),
        .executableTarget(name: "neurospike", dependencies: ["Tensor", "CPUBackend", "Spiking", "VulkanBackend", "BackendParity"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CPUBackend", "Spiking"],
                    exclude: ["generate_forward_cases.py"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VulkanBackendTests", dependencies: ["BackendParity", "CPUBackend", "Tensor", "VulkanBackend"]),
    ],
    cxxLanguageStandard: .cxx17
)
