import CPUBackend
import Foundation
import Spiking
import Tensor

/// `neurospike bench sparsity`: does a sparse spike-count input make a convolution faster?
enum BenchSparsity {
    static let command = Command(
        name: "sparsity",
        summary: "conv3d on ~70 %-zero spike counts: dense fp32 vs int8 VNNI vs event-driven",
        help: """
        usage: neurospike bench sparsity [--json] [--threads N] [--repeats N] [--zeros F,…] [--size S] [--out DIR]

        Convolves spike counts (0…4, a fraction F of them zero, for each F given; default 0.7) of a 1×S³×C volume (S default 64),
        C→C channels for C = 16 and 32, 3×3×3, with three kernels of the CPU backend: dense fp32
        (conv3d: the direct AVX-512 kernel), int8 counts × int8 weights (AVX-512 VNNI, exact integer sums), and event-driven
        (only non-zero counts do work). Medians of --repeats runs; writes sparsity.json and sparsity.md to --out
        (default reports/bench).
        """,
        run: run
    )

    struct Row: Codable {
        let op: String
        let shape: String
        let path: String
        let zero_count_fraction: Double
        let silent_slot_fraction: Double
        let milliseconds: Double
        let dense_equivalent_gflops: Double
        let speedup_vs_dense: Double
        let synaptic_ops_per_mac: Double
    }

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let json = arguments.flag("--json")
        let threads = try arguments.intOption("--threads", default: 2)
        let repeats = try arguments.intOption("--repeats", default: 5)
        let size = try arguments.intOption("--size", default: 64, minimum: 4)
        let zerosText = try arguments.option("--zeros") ?? "0.7"
        let out = try arguments.option("--out") ?? "reports/bench"
        _ = try arguments.positionals()
        let fractions = zerosText.split(separator: ",").compactMap { Float($0) }.filter { (0...1).contains($0) }
        guard !fractions.isEmpty, fractions.count == zerosText.split(separator: ",").count else {
            throw UsageError("--zeros expects fractions in 0…1 separated by commas, got '\(zerosText)'")
        }
        guard CPUBackend.hasSpikeKernels else {
            printError("bench sparsity: this CPU lacks AVX-512 VNNI; only the dense path could run")
            return .usage
        }

        let backend = CPUBackend(threadCount: threads)
        var generator = SeededGenerator(seed: 3)
        var rows: [Row] = []
        for zeros in fractions {
            for channels in [16, 32] {
                let counts = Tensor(shape: [1, size, size, size, channels], scalars: (0..<(size * size * size * channels)).map { _ in
                    Float.random(in: 0..<1, using: &generator) < zeros ? 0 : Float(Int.random(in: 1...4, using: &generator))
                })
                var statistics = SpikeStatistics(maxCount: 4)
                statistics.record(counts)
                let operations = OperationCounts(convolutionSize: 3, outputChannels: channels, statistics: statistics)
                let weight = Tensor.randomNormal(shape: [3, 3, 3, channels, channels], standardDeviation: 0.1, using: &generator)
                let bias = Tensor(zeros: [channels])
                let quantized = QuantizedConvWeight(weight: weight, bias: bias)
                let flops = 2 * Double(operations.multiplyAccumulates)
                let paths: [(String, () -> Void)] = [
                    ("dense fp32 (conv3d, direct AVX-512)", { _ = backend.conv3d(counts, weight: weight, bias: bias, geometry: ConvGeometry(size: 3, padding: 1)) }),
                    ("int8 VNNI (u8 counts x s8 weights)", { _ = backend.conv3dInt8(counts, weight: quantized) }),
                    ("event-driven fp32 (non-zero counts only)", { _ = backend.conv3dEvents(counts, weight: weight, bias: bias) }),
                ]
                // Round-robin over the paths, so that a change of machine load hits all of them alike.
                for (_, body) in paths { body() }
                var times = [[Double]](repeating: [], count: paths.count)
                for _ in 0..<repeats {
                    for (index, path) in paths.enumerated() { times[index].append(BenchOps.seconds(path.1)) }
                }
                let denseSeconds = median(times[0])
                for (index, path) in paths.enumerated() {
                    let seconds = median(times[index])
                    rows.append(Row(op: "conv3d", shape: "1x\(size)x\(size)x\(size)x\(channels)->\(channels) k3", path: path.0,
                                    zero_count_fraction: BenchOps.rounded(statistics.zeroCountFraction),
                                    silent_slot_fraction: BenchOps.rounded(statistics.silentSlotFraction),
                                    milliseconds: BenchOps.rounded(seconds * 1000),
                                    dense_equivalent_gflops: BenchOps.rounded(flops / seconds / 1e9),
                                    speedup_vs_dense: BenchOps.rounded(denseSeconds / seconds),
                                    synaptic_ops_per_mac: BenchOps.rounded(Double(operations.synapticOperations) / Double(operations.multiplyAccumulates))))
                }
            }
        }
        let command = "neurospike bench sparsity --threads \(threads) --repeats \(repeats) --zeros \(zerosText) --size \(size)"
        var lines = ["# conv3d on spike counts: dense vs integer vs event-driven (\(threads) threads)", "",
                     "Made by `\(command)`. Counts 0…4; synaptic ops = Σ counts × 27 × Cout, MACs = activations × 27 × Cout.", "",
                     "| shape | path | zero-count | silent-slot | ms | dense-equiv. GFLOP/s | speed-up | SynOps/MAC |",
                     "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in rows {
            lines.append("| \(row.shape) | \(row.path) | \(row.zero_count_fraction) | \(row.silent_slot_fraction) | "
                         + "\(row.milliseconds) | \(row.dense_equivalent_gflops) | \(row.speedup_vs_dense) | \(row.synaptic_ops_per_mac) |")
        }
        let table = lines.joined(separator: "\n") + "\n"
        let encoded = try BenchOps.jsonRows(rows)
        print(json ? encoded : table)
        try BenchOps.write(table, encoded, to: out, name: "sparsity")
        return .success
    }
}
