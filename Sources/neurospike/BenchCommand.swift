import Foundation

/// `neurospike bench <name> …`: speed and memory measurements, each against a peer measured in the same run.
enum BenchCommand {
    static let benchmarks: [Command] = [
        BenchConvert.command,
        BenchOps.command,
        BenchSegment.command,
        BenchSparsity.command,
        BenchVulkan.command,
        BenchLM.command,
    ]

    static let command = Command(
        name: "bench",
        summary: "run a benchmark and print its table",
        help: """
        usage: neurospike bench <benchmark> [options]

        benchmarks:
        \(benchmarks.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n"))

        Run 'neurospike bench <benchmark> --help' for its options.
        """,
        dispatchesHelp: true,
        run: run
    )

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let rest = arguments.takeRemaining()
        guard let first = rest.first else {
            throw UsageError("which benchmark? \(benchmarks.map(\.name).joined(separator: ", "))")
        }
        guard let benchmark = benchmarks.first(where: { $0.name == first }) else {
            throw UsageError("unknown benchmark '\(first)'")
        }
        var inner = Arguments(Array(rest.dropFirst()))
        if inner.wantsHelp {
            print(benchmark.help)
            return .success
        }
        return try benchmark.run(&inner)
    }
}
