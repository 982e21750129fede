// swift-tools-version:6.0
import PackageDescription

/// DCMTK libraries the shim links, in dependency order (see ../shared/PLATFORM.md).
let dcmtkLibraries = [
    "dcmseg", "dcmfg", "dcmiod", "dcmjpls", "dcmtkcharls", "dcmjpeg", "ijg8", "ijg12", "ijg16",
    "dcmimgle", "dcmdata", "oflog", "ofstd",
]

let package = Package(
    name: "NeuroSpike",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "neurospike", targets: ["neurospike"]),
    ],
    targets: [
        .target(
            name: "CDCMTK",
            path: "Sources/CDCMTK",
            linkerSettings: dcmtkLibraries.map { .linkedLibrary($0) }
        ),
        .target(
            name: "CNIfTI",
            path: "Sources/CNIfTI",
            cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]
        ),
        .target(name: "CPNG", path: "Sources/CPNG", linkerSettings: [.linkedLibrary("png16")]),
        .target(name: "NeuroImage", dependencies: ["CNIfTI", "CPNG"]),
        .target(name: "DICOMIngest", dependencies: ["CDCMTK", "NeuroImage"]),
        .target(name: "Validation", dependencies: ["NeuroImage"]),
        .target(name: "Reporting", dependencies: ["LanguageModel", "Segmentation", "CPUBackend", "Spiking", "Tensor"]),
        .target(name: "LanguageModel", dependencies: ["Tensor", "CPUBackend", "Spiking"]),
        .target(name: "Segmentation", dependencies: ["NeuroImage", "Tensor", "CPUBackend", "Spiking"]),
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
        .target(name: "Pipeline", dependencies: ["CDCMTK", "NeuroImage", "DICOMIngest", "Segmentation", "Reporting", "Spiking", "Tensor",
                                               "LanguageModel"]),
        .executableTarget(name: "neurospike", dependencies: ["NeuroImage", "DICOMIngest", "Validation", "Segmentation", "Pipeline",
                                                          "Tensor", "CPUBackend", "Spiking", "VulkanBackend", "BackendParity", "Reporting",
                                                          "LanguageModel"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NeuroImageTests", dependencies: ["NeuroImage", "CNIfTI"]),
        .testTarget(name: "DICOMIngestTests", dependencies: ["DICOMIngest", "NeuroImage", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["DICOMIngest", "NeuroImage", "Pipeline", "Segmentation", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "LanguageModel", "TestSupport"]),
        .testTarget(name: "LanguageModelTests", dependencies: ["LanguageModel", "Tensor", "CPUBackend"]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "NeuroImage", "TestSupport"]),
        .testTarget(name: "ValidationTests", dependencies: ["Validation", "NeuroImage", "TestSupport"], exclude: ["reference_metrics.py"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CPUBackend", "Spiking"],
                    exclude: ["generate_forward_cases.py"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VulkanBackendTests", dependencies: ["BackendParity", "CPUBackend", "NeuroImage", "Segmentation", "Tensor",
                                                              "TestSupport", "VulkanBackend"]),
    ],
    cxxLanguageStandard: .cxx17
)
