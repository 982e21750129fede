import Foundation

/// A finished child process: exit status, wall time and peak resident memory.
struct ChildRun {
    var status: Int32
    var seconds: Double
    var peakRSSMB: Double
}

/// Runs a program with its output discarded and measures it; benchmarks use this for both peers alike.
///
/// Peak memory comes from GNU time (`/usr/bin/time -f %M`), which forks a small process: `wait4` on a child
/// spawned from this process would report at least this process's own peak, since Linux carries the
/// pre-exec peak of a vfork child over into its resource usage.
enum ChildProcess {
    static let timeTool = "/usr/bin/time"

    static func run(_ executable: String, _ arguments: [String]) throws -> ChildRun {
        let memoryFile = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-rss-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: memoryFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([timeTool, "-f", "%M", "-o", memoryFile.path, executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now()
        let spawned = posix_spawn(&pid, timeTool, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw UsageError("cannot start \(timeTool) (apt-get install time): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let report = (try? String(contentsOf: memoryFile, encoding: .utf8)) ?? ""
        let kilobytes = report.split(separator: "\n").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }.last ?? 0
        return ChildRun(status: exitStatus, seconds: seconds, peakRSSMB: kilobytes / 1024)
    }

    /// This program's own path, to time it as a separate process like its peers.
    static var selfPath: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }
}

/// The median of a non-empty list.
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
