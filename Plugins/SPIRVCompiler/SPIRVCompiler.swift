import Foundation
import PackagePlugin

/// Compiles a target's GLSL compute shaders (`*.comp`) to SPIR-V with `glslc` and embeds each as a Swift
/// array: `extension SPIRV { static let <file name>: [UInt32] = [...] }`. Shared `*.glsl` includes are
/// inputs of every shader, so editing one recompiles all.
///
/// `glslc` is looked up on `PATH` (or taken from `GLSLC`), since the plugin context only knows tools
/// that packages vend.
@main
struct SPIRVCompiler: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let files = target.sourceFiles.map(\.url)
        let shaders = files.filter { $0.pathExtension == "comp" }
        let includes = files.filter { $0.pathExtension == "glsl" }
        guard !shaders.isEmpty else { return [] }
        let glslc = try findGLSLC()
        let output = context.pluginWorkDirectoryURL
        return shaders.map { shader in
            let name = shader.deletingPathExtension().lastPathComponent
            let swift = output.appendingPathComponent("\(name).spv.swift")
            let script = """
                set -e
                words=$("$1" -O -mfmt=num -o - "$2")
                printf 'extension SPIRV {\\n    static let %s: [UInt32] = [\\n%s\\n    ]\\n}\\n' "$3" "$words" > "$4"
                """
            return .buildCommand(
                displayName: "Compiling shader \(shader.lastPathComponent) to SPIR-V",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", glslc.path, shader.path, name, swift.path],
                inputFiles: [shader, glslc] + includes,
                outputFiles: [swift]
            )
        }
    }

    /// `GLSLC`, else the first executable `glslc` on `PATH`.
    private func findGLSLC() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["GLSLC"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else { throw ShaderCompilerError.notExecutable(explicit) }
            return URL(fileURLWithPath: explicit)
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("glslc")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ShaderCompilerError.glslcMissing(path)
    }
}

enum ShaderCompilerError: Error, CustomStringConvertible {
    case glslcMissing(String)
    case notExecutable(String)

    var description: String {
        switch self {
        case .glslcMissing(let path):
            return "glslc not found on PATH (\(path)); install the glslc package or set GLSLC to its path"
        case .notExecutable(let path):
            return "GLSLC=\(path) is not an executable file"
        }
    }
}
