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
        .build/torch-venv/bin/python, made by benchmarks/setup_torch.sh); without it the torch columns are empty.
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

        let torchAvailable = FileManager.default.isExecutableFile(atPath: python)
        if !torchAvailable {
            printError("bench ops: no PyTorch interpreter at \(python) (run benchmarks/setup_torch.sh); torch columns left empty")
        }
        var torchFound = false
        let backend = CPUBackend(threadCount: threads)
        var generator = SeededGenerator(seed: 1)
        var rows: [Row] = []
        for (channels, size) in shapes {
            // PyTorch measures each shape just before NeuroSpike does, so both see the same machine load.
            let torch = torchAvailable
                ? try torchSeconds(python: python, threads: threads, repeats: repeats, shapes: "\(channels)x\(size)") : [:]
            torchFound = torchFound || !torch.isEmpty
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
                let gflops = flops / medianSeconds(repeats: repeats, body) / 1e9
                let torchGflops = torch["\(channels)x\(size) \(direction)"].map { flops / $0 / 1e9 }
                rows.append(Row(op: "conv3d", shape: "1x\(size)x\(size)x\(size)x\(channels)->\(channels) k3", dir: direction,
                                gflops: rounded(gflops), torch_gflops: torchGflops.map(rounded),
                                ratio: torchGflops.map { rounded(gflops / $0) }))
            }
        }
        let command = "neurospike bench ops --threads \(threads) --repeats \(repeats) --shapes \(shapesText)"
        let table = markdownTable(rows, command: command, threads: threads, torchFound: torchFound)
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

    /// Median wall time of `repeats` runs after one warm-up run.
    static func medianSeconds(repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Seconds per "CxS dir" from the PyTorch script; empty when it fails.
    static func torchSeconds(python: String, threads: Int, repeats: Int, shapes: String) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["benchmarks/torch_ops.py", "--threads", "\(threads)", "--repeats", "\(repeats)", "--shapes", shapes]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            printError("bench ops: benchmarks/torch_ops.py failed (exit \(process.terminationStatus)); torch columns left empty")
            return [:]
        }
        struct Line: Decodable { let channels: Int; let size: Int; let dir: String; let seconds: Double }
        var result: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parsed = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
            result["\(parsed.channels)x\(parsed.size) \(parsed.dir)"] = parsed.seconds
        }
        return result
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
        encoder.outputFormatting = [.sortedKeys]
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
