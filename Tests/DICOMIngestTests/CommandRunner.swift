import Foundation

/// Runs the built `neurospike` binary (it sits beside the test bundle in the build folder).
struct CommandResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

enum NeuroSpikeBinary {
    static let url: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("neurospike")
    }()

    static var available: Bool { FileManager.default.isExecutableFile(atPath: url.path) }

    static func run(_ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                             standardError: String(decoding: errData, as: UTF8.self))
    }
}

/// A fresh temporary folder, removed by `remove()`.
struct ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func folder(_ name: String) throws -> URL {
        let folder = url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Every file below the folder, as paths relative to it.
    func allFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
        var files: [String] = []
        while let item = enumerator?.nextObject() as? URL {
            if (try? item.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                files.append(String(item.resolvingSymlinksInPath().path.dropFirst(url.resolvingSymlinksInPath().path.count + 1)))
            }
        }
        return files.sorted()
    }
}

/// Edits a DICOM file with DCMTK's `dcmodify` (from the dcmtk package that `make test` installs).
func dcmodify(_ file: URL, _ assignments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/dcmodify")
    process.arguments = ["-nb", "-q"] + assignments.flatMap { ["-i", $0] } + [file.path]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "dcmodify failed on \(file.path)"])
    }
}
