import Foundation

/// What a finished process printed and returned.
public struct CommandResult {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// The built `neurospike` binary: it sits beside the test bundle in the build folder.
public enum NeuroSpikeBinary {
    public static let url: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("neurospike")
    }()

    public static var available: Bool { FileManager.default.isExecutableFile(atPath: url.path) }

    public static func run(_ arguments: [String]) throws -> CommandResult {
        try runProcess(url.path, arguments)
    }
}

/// Runs a program to completion and collects its output.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
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

/// A fresh temporary folder, removed by `remove()`.
public struct ScratchFolder {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func folder(_ name: String) throws -> URL {
        let folder = url.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// Every file below the folder, as paths relative to it.
    public func allFiles() -> [String] {
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
public func dcmodify(_ file: URL, _ assignments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/dcmodify")
    process.arguments = ["-nb", "-q"] + assignments.flatMap { ["-i", $0] } + [file.path]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "dcmodify failed on \(file.path)"])
    }
}
