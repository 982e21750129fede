// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "NeuroSpike",
    products: [
        .executable(name: "neurospike", targets: ["neurospike"]),
    ],
    targets: [
        .executableTarget(name: "neurospike"),
    ],
    cxxLanguageStandard: .cxx17
)
