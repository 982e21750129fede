import CPUBackend
import Foundation
import Tensor

/// `neurospike bench ops`: conv3d GFLOP/s of the CPU backend beside PyTorch CPU on the same shapes and threads.
enum BenchOps {
    static let command = Command(
        name: "ops",
        summary: "conv3d forward/backward GFLOP/s of the CPU backend vs PyTorch CPU",
        help: """
        usage: neurospike bench ops [--json] [--threads N] [--repeats N] [--shapes 16x64,32x64,16x96,32x96]
                                    [--torch-python PATH] [--out DIR]

        Times conv3d (batch 1, C→C channels, 3×3×3, padding 1) forward, input gradient and weight gradient:
        the median of --repeats runs after a warm-up. PyTorch runs the same shapes in the same run, with the
        same thread count, through benchmarks/torch_ops.py and the interpreter --torch-python (default
        .build/torch-venv/bin/python, made by benchmarks/setup_torch.sh), alternating one PyTorch run with one
        NeuroSpike run so that both see the same load; without the interpreter the torch columns are empty.
        Writes ops.json and ops.md to --out (default reports/bench).
        """,
        run: run
    )

    struct Row: Codable {
        let op: String
        let shape: String
        let dir: String
        let gflops: Double
        let torch_gflops: Double?
        let ratio: Double?
    }

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let json = arguments.flag("--json")
        let threads = try arguments.intOption("--threads", default: 2)
        let repeats = try arguments.intOption("--repeats", default: 5)
        let shapesText = try arguments.option("--shapes") ?? "16x64,32x64,16x96,32x96"
        let python = try arguments.option("--torch-python") ?? ".build/torch-venv/bin/python"
        let out = try arguments.option("--out") ?? "reports/bench"
        _ = try arguments.positionals()
        let shapes = try convolutionShapes(shapesText)
        let torch = try TorchReference(python: python, threads: threads)
        if torch == nil {
            printError("bench ops: no PyTorch interpreter at \(python) (run benchmarks/setup_torch.sh); torch columns left empty")
        }

        let backend = CPUBackend(threadCount: threads)
        var generator = SeededGenerator(seed: 1)
        var rows: [Row] = []
        for (channels, size) in shapes {
            let geometry = ConvGeometry(size: 3, stride: 1, padding: 1)
            let x = Tensor.randomNormal(shape: [1, size, size, size, channels], using: &generator)
            let w = Tensor.randomNormal(shape: [3, 3, 3, channels, channels], standardDeviation: 0.1, using: &generator)
            let g = Tensor.randomNormal(shape: [1, size, size, size, channels], using: &generator)
            let flops = 2 * Double(size * size * size) * Double(channels * channels * 27)
            let runs: [(String, () -> Void)] = [
                ("fwd", { _ = backend.conv3d(x, weight: w, bias: nil, geometry: geometry) }),
                ("bwd_input", { _ = backend.conv3dBackwardInput(g, weight: w, inputShape: x.shape, geometry: geometry) }),
                ("bwd_weight", { _ = backend.conv3dBackwardWeight(g, input: x, geometry: geometry) }),
            ]
            for (direction, body) in runs {
                // One PyTorch run, then one NeuroSpike run, `repeats` times: both see the same machine load.
                body()
                var ours: [Double] = [], theirs: [Double] = []
                for _ in 0..<repeats {
                    if let torch { theirs.append(try torch.seconds(channels: channels, size: size, direction: direction)) }
                    ours.append(seconds(body))
                }
                let gflops = flops / median(ours) / 1e9
                let torchGflops = theirs.isEmpty ? nil : flops / median(theirs) / 1e9
                rows.append(Row(op: "conv3d", shape: "1x\(size)x\(size)x\(size)x\(channels)->\(channels) k3", dir: direction,
                                gflops: rounded(gflops), torch_gflops: torchGflops.map(rounded),
                                ratio: torchGflops.map { rounded(gflops / $0) }))
            }
        }
        let command = "neurospike bench ops --threads \(threads) --repeats \(repeats) --shapes \(shapesText)"
        let table = markdownTable(rows, command: command, threads: threads, torchFound: torch != nil)
        let encoded = try jsonRows(rows)
        print(json ? encoded : table)
        try write(table, encoded, to: out, name: "ops")
        return .success
    }

    /// `CxS,…` (channels × cube edge) items of a `--shapes` option.
    static func convolutionShapes(_ text: String) throws -> [(channels: Int, size: Int)] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { throw UsageError("--shapes expects CxS items, got '\(item)'") }
            return (parts[0], parts[1])
        }
    }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// Wall time of one run of `body`.
    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func markdownTable(_ rows: [Row], command: String, threads: Int, torchFound: Bool) -> String {
        var lines = ["# conv3d, CPU backend vs PyTorch CPU (\(threads) threads)", "",
                     "Made by `\(command)`\(torchFound ? "" : " (PyTorch absent: torch columns empty)").", "",
                     "| shape | dir | GFLOP/s | torch GFLOP/s | ratio |", "| --- | --- | ---: | ---: | ---: |"]
        for row in rows {
            let torch = row.torch_gflops.map { String(format: "%.1f", $0) } ?? "–"
            let ratio = row.ratio.map { String(format: "%.2f", $0) } ?? "–"
            lines.append("| \(row.shape) | \(row.dir) | \(String(format: "%.1f", row.gflops)) | \(torch) | \(ratio) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON array with one row object per line.
    static func jsonRows<Row: Encodable>(_ rows: [Row]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let lines = try rows.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }

    /// Writes `DIR/NAME.md` and `DIR/NAME.json`, each through a temporary file.
    static func write(_ table: String, _ json: String, to directory: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (text, suffix) in [(table, "md"), (json, "json")] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent("\(name).\(suffix)")
            try Data(text.utf8).write(to: url, options: .atomic)
        }
    }
}

/// benchmarks/torch_ops.py running beside the benchmark, answering one timing request per line.
final class TorchReference {
    private let process = Process()
    private let requests = Pipe()
    private let replies = Pipe()
    private var buffered = Data()

    /// Starts the script, or returns nil when `python` is not an executable.
    init?(python: String, threads: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["benchmarks/torch_ops.py", "--threads", "\(threads)"]
        process.standardInput = requests
        process.standardOutput = replies
        process.standardError = FileHandle.nullDevice
        // OpenMP threads otherwise spin for a while after each PyTorch call, taking the cores from the
        // NeuroSpike run that follows; passive waiting costs PyTorch microseconds per call.
        process.environment = ProcessInfo.processInfo.environment.merging(["OMP_WAIT_POLICY": "PASSIVE"]) { $1 }
        try process.run()
    }

    /// Seconds of one PyTorch run of the shape and direction.
    func seconds(channels: Int, size: Int, direction: String) throws -> Double {
        requests.fileHandleForWriting.write(Data("\(channels) \(size) \(direction)\n".utf8))
        while !buffered.contains(UInt8(ascii: "\n")) {
            let chunk = replies.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw UsageError("benchmarks/torch_ops.py stopped answering") }
            buffered.append(chunk)
        }
        let end = buffered.firstIndex(of: UInt8(ascii: "\n"))!
        let line = buffered[buffered.startIndex..<end]
        buffered = Data(buffered[(end + 1)...])
        struct Reply: Decodable { let seconds: Double }
        return try JSONDecoder().decode(Reply.self, from: line).seconds
    }

    deinit {
        try? requests.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
