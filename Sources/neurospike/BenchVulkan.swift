import BackendParity
import CPUBackend
import Foundation
import NeuroImage
import Pipeline
import Segmentation
import Tensor
import VulkanBackend

/// `neurospike bench vulkan`: the Vulkan backend beside the CPU backend, measured in the same run, and
/// (`--check`) its parity with the CPU backend on every op.
enum BenchVulkan {
    static let command = Command(
        name: "vulkan",
        summary: "conv3d GFLOP/s and U-Net forward time, Vulkan vs the CPU backend; --check runs the op parity table",
        help: """
        usage: neurospike bench vulkan [--check] [--list] [--json] [--threads N] [--repeats N]
                                       [--shapes 8x16,16x16,32x16] [--unet-size S] [--scan NIFTI]
                                       [--scan-repeats N] [--pipeline NAME|DIR] [--out DIR]

        Opens the Vulkan device that NEUROSPIKE_VULKAN_DEVICE names (an index or a name substring), else the
        best one, lavapipe included. --list prints the devices and stops. --check first runs every op of
        the parity table and a random-weight spiking U-Net (16×16×12 voxels) on both backends and fails
        (exit 1) unless each op is within 1e-4 relative of the CPU result (spike counts and labels: equal)
        and ≥ 99.9 % of the labels agree.

        Then times conv3d (batch 1, C→C channels, 3×3×3, padding 1, on S³ voxels for each CxS of --shapes)
        and a forward pass of the random-weight U-Net on a 1×S³ volume (S = --unet-size, default 32): medians
        of --repeats runs (default 5) after a warm-up, the CPU backend with --threads threads (default 2).
        Vulkan times include uploading the operands and downloading the result of every op. On lavapipe
        (a CPU driver) the numbers only show that the path runs. --scan adds the shipped segmenter of
        --pipeline (default brain-t1) on a real scan: the whole of segmentation (conform, overlapping windows,
        post-processing), --scan-repeats runs (default 3) per backend, with the share of voxels whose labels
        the two backends agree on. Writes vulkan.json and vulkan.md to --out (default reports/bench).
        """,
        run: run
    )

    struct Row: Codable {
        let op: String
        let shape: String
        let vulkan_ms: Double
        let cpu_ms: Double
        let vulkan_gflops: Double
        let cpu_gflops: Double
        let speedup: Double
        /// Share of voxels with the same label on both backends (the segmentation row only).
        var label_agreement: Double?
    }

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        let check = arguments.flag("--check")
        let list = arguments.flag("--list")
        let json = arguments.flag("--json")
        let threads = try arguments.intOption("--threads", default: 2)
        let repeats = try arguments.intOption("--repeats", default: 5)
        let shapesText = try arguments.option("--shapes") ?? "8x16,16x16,32x16"
        let unetSize = try arguments.intOption("--unet-size", default: 32, minimum: 2)
        let scan = try arguments.option("--scan")
        let scanRepeats = try arguments.intOption("--scan-repeats", default: 3, minimum: 1)
        let pipelineName = try arguments.option("--pipeline") ?? "brain-t1"
        let out = try arguments.option("--out") ?? "reports/bench"
        _ = try arguments.positionals()
        let shapes = try BenchOps.convolutionShapes(shapesText)
        guard unetSize % 2 == 0 else { throw UsageError("--unet-size must be even, got \(unetSize)") }

        if list {
            for device in try VulkanBackend.devices() { print("\(device.index): \(device.name) (\(device.kind.rawValue))") }
            return .success
        }
        let vulkan = try VulkanBackend(.fromEnvironment(requireGPU: false))
        let cpu = CPUBackend(threadCount: threads)
        printError("bench vulkan: \(vulkan.name) vs \(cpu.name)")
        if check && !runChecks(vulkan: vulkan) { return .someFailed }

        var generator = SeededGenerator(seed: 1)
        var rows: [Row] = []
        for (channels, size) in shapes {
            let geometry = ConvGeometry(size: 3, stride: 1, padding: 1)
            let x = Tensor.randomNormal(shape: [1, size, size, size, channels], using: &generator)
            let w = Tensor.randomNormal(shape: [3, 3, 3, channels, channels], standardDeviation: 0.1, using: &generator)
            let flops = 2 * Double(size * size * size) * Double(channels * channels * 27)
            rows.append(row(op: "conv3d", shape: "1x\(size)x\(size)x\(size)x\(channels)->\(channels) k3", flops: flops,
                            repeats: repeats, vulkan: vulkan, cpu: cpu) { $0.conv3d(x, weight: w, bias: nil, geometry: geometry) })
        }
        let network = RandomSpikingUNet()
        let volume = Tensor.randomNormal(shape: [1, unetSize, unetSize, unetSize, 1], using: &generator)
        let flops = 2 * Double(network.multiplyAccumulates(voxels: unetSize * unetSize * unetSize))
        rows.append(row(op: "unet forward", shape: "1x\(unetSize)x\(unetSize)x\(unetSize)x1 width \(network.width)", flops: flops,
                        repeats: repeats, vulkan: vulkan, cpu: cpu) { network.forward(volume, on: $0) })
        if let scan {
            let bundle = try PipelineBundle(folder: try PipelineBundle.locate(pipelineName, executable: URL(fileURLWithPath: ChildProcess.selfPath)))
            rows.append(try segmentationRow(scan: scan, bundle: bundle, repeats: scanRepeats, vulkan: vulkan, cpu: cpu))
        }

        var command = "neurospike bench vulkan --threads \(threads) --repeats \(repeats) --shapes \(shapesText) --unet-size \(unetSize)"
        if let scan { command += " --scan \(URL(fileURLWithPath: scan).lastPathComponent) --scan-repeats \(scanRepeats)" }
        let table = markdownTable(rows, command: command, vulkan: vulkan, cpu: cpu)
        let encoded = try BenchOps.jsonRows(rows)
        print(json ? encoded : table)
        try BenchOps.write(table, encoded, to: out, name: "vulkan")
        return .success
    }

    /// Times `body` on both backends.
    private static func row(op: String, shape: String, flops: Double, repeats: Int, vulkan: VulkanBackend, cpu: CPUBackend,
                            _ body: (any Backend) -> Tensor) -> Row {
        let vulkanSeconds = median((0..<repeats).map { _ in BenchOps.seconds { _ = body(vulkan) } })
        let cpuSeconds = median((0..<repeats).map { _ in BenchOps.seconds { _ = body(cpu) } })
        return Row(op: op, shape: shape, vulkan_ms: BenchOps.rounded(vulkanSeconds * 1e3), cpu_ms: BenchOps.rounded(cpuSeconds * 1e3),
                   vulkan_gflops: BenchOps.rounded(flops / vulkanSeconds / 1e9), cpu_gflops: BenchOps.rounded(flops / cpuSeconds / 1e9),
                   speedup: BenchOps.rounded(cpuSeconds / vulkanSeconds))
    }

    /// The bundle's segmenter on `scan` through `Segmenter.segment` on both backends; GFLOP/s from the dense
    /// multiply-accumulates of its convolutions.
    private static func segmentationRow(scan: String, bundle: PipelineBundle, repeats: Int, vulkan: VulkanBackend,
                                        cpu: CPUBackend) throws -> Row {
        let volume = try NIfTI.read(URL(fileURLWithPath: scan))
        var results: [SegmentationResult] = []
        var times: [[Double]] = []
        for backend in [vulkan as any Backend, cpu] {
            let segmenter = Segmenter(model: bundle.model, backend: backend, windowEdge: bundle.windowEdge,
                                      mirrorAveraging: bundle.mirrorAveraging, classWeights: bundle.classWeights,
                                      intensityRefinement: bundle.intensityRefinement)
            var result: SegmentationResult?
            var error: Error?
            times.append((0..<repeats).map { _ in
                BenchOps.seconds {
                    do { result = try segmenter.segment(volume) } catch let failure { error = failure }
                }
            })
            if let error { throw error }
            results.append(result!)
        }
        let (a, b) = (results[0].labels.voxels.floats(), results[1].labels.voxels.floats())
        let agreement = labelAgreement(a, b)
        printError("segmentation of \(URL(fileURLWithPath: scan).lastPathComponent): labels agree on \(agreement * 100) % of voxels")
        let flops = 2 * Double(results[1].operations.multiplyAccumulates)
        let (vulkanSeconds, cpuSeconds) = (median(times[0]), median(times[1]))
        let shape = volume.shape
        return Row(op: "segment (\(bundle.name))", shape: "\(shape.i)x\(shape.j)x\(shape.k), \(bundle.windowEdge)³ windows",
                   vulkan_ms: BenchOps.rounded(vulkanSeconds * 1e3), cpu_ms: BenchOps.rounded(cpuSeconds * 1e3),
                   vulkan_gflops: BenchOps.rounded(flops / vulkanSeconds / 1e9), cpu_gflops: BenchOps.rounded(flops / cpuSeconds / 1e9),
                   speedup: BenchOps.rounded(cpuSeconds / vulkanSeconds), label_agreement: agreement)
    }

    /// Runs the parity table and the U-Net label check, printing one line per check to standard error.
    private static func runChecks(vulkan: VulkanBackend) -> Bool {
        let reference = CPUBackend(threadCount: 1)
        var passed = true
        for parityCase in ParityCases.all {
            let result = parityCase.check(reference: reference, candidate: vulkan)
            passed = passed && result.passed
            printError("\(result.passed ? "ok  " : "FAIL") \(result.name): relative error \(result.relativeError)")
        }
        var generator = SeededGenerator(seed: 3)
        let network = RandomSpikingUNet()
        let input = Tensor.randomNormal(shape: [1, 16, 16, 12, 1], using: &generator)
        let expected = labels(network.forward(input, on: reference), on: reference)
        let actual = labels(network.forward(input, on: vulkan), on: vulkan)
        let agreement = labelAgreement(expected, actual)
        passed = passed && agreement >= 0.999
        printError("\(agreement >= 0.999 ? "ok  " : "FAIL") U-Net labels: \(agreement * 100) % equal")
        printError(passed ? "parity: all checks passed on \(vulkan.name)" : "parity: some checks FAILED on \(vulkan.name)")
        return passed
    }

    private static func markdownTable(_ rows: [Row], command: String, vulkan: VulkanBackend, cpu: CPUBackend) -> String {
        var lines = ["# Vulkan backend vs CPU backend", "",
                     "Made by `\(command)` on \(vulkan.name) (\(vulkan.deviceKind.rawValue)) and \(cpu.name).",
                     "Vulkan times include each op's upload and download."]
        if vulkan.deviceKind == .cpu {
            lines.append("This device is a CPU implementation of Vulkan (e.g. lavapipe): the numbers show that the path runs, not GPU speed.")
        }
        lines += ["", "| op | shape | Vulkan ms | CPU ms | Vulkan GFLOP/s | CPU GFLOP/s | speed-up |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        for row in rows {
            lines.append("| \(row.op) | \(row.shape) | \(String(format: "%.2f", row.vulkan_ms)) | \(String(format: "%.2f", row.cpu_ms)) | "
                         + "\(String(format: "%.2f", row.vulkan_gflops)) | \(String(format: "%.2f", row.cpu_gflops)) | "
                         + "\(String(format: "%.2f", row.speedup)) |")
        }
        for row in rows {
            if let agreement = row.label_agreement {
                lines += ["", "\(row.op): the two backends give the same label to \(String(format: "%.2f", agreement * 100)) % of voxels. "
                          + "Spike thresholds turn rounding differences into spike-count differences that later layers amplify; "
                          + "on a 64³ window, CPU runs on inputs 1e-6 apart disagree as much as the backends do (ShippedSegmenterParityTests)."]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
