// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "NeuroSpike",
    products: [
        .executable(name: "neurospike", targets: ["neurospike"]),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Tensor"),
        .target(name: "CPUBackend", dependencies: ["Tensor", "CBLAS"]),
        .executableTarget(name: "neurospike", dependencies: ["Tensor", "CPUBackend"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CPUBackend"],
                    exclude: ["generate_forward_cases.py"], resources: [.copy("Fixtures")]),
    ],
    cxxLanguageStandard: .cxx17
)
