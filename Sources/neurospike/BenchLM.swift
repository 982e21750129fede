import CPUBackend
import Foundation
import LanguageModel
import Pipeline
import Reporting
import Tensor

/// `neurospike bench lm`: prefill and decoding of the spiking hybrid against its softmax source, by prompt length.
enum BenchLM {
    static let command = Command(
        name: "lm",
        summary: "report language model: spiking hybrid vs softmax attention, prefill and decode by prompt length",
        help: """
        usage: neurospike bench lm [--json] [--lengths N,…] [--decode N] [--threads N] [--softmax FILE] [--pipeline NAME|DIR] [--out DIR]

        For each prompt length (default 1024,4096,16384,65536 tokens) runs the bundle's spiking hybrid report
        model and the softmax-attention model it was converted from (default: the bundle's
        training/lm-softmax/model.safetensors), each in its own process under GNU time: prefill time of the
        prompt (chunks of 512 tokens), decoding speed over --decode tokens (default 32) after it, and the
        process's peak resident memory. Also times whole reports written by ReportWriter for sampled
        findings (drafting, rendering and checking). Writes lm.json and lm.md to --out (default reports/bench).
        """,
        run: run
    )

    struct Row: Codable {
        let tokens: Int
        let spiking_prefill_s: Double
        let softmax_prefill_s: Double
        let prefill_speedup: Double
        let spiking_decode_tok_s: Double
        let softmax_decode_tok_s: Double
        let spiking_peak_mb: Double
        let softmax_peak_mb: Double
    }

    struct Measurement: Codable {
        let prefillSeconds: Double
        let decodeTokensPerSecond: Double
    }

    struct Table: Codable {
        let rows: [Row]
        let report_seconds_median: Double
        let report_fallbacks: Int
        let reports: Int
        let threads: Int
        let command: String
    }

    static func run(_ arguments: inout Arguments) throws -> ExitCode {
        if let model = try arguments.option("--child") { return try child(model: model, arguments: &arguments) }
        let json = arguments.flag("--json")
        let lengths = try (arguments.option("--lengths") ?? "1024,4096,16384,65536").split(separator: ",").map {
            guard let value = Int($0), value > 0 else { throw UsageError("--lengths expects positive counts") }
            return value
        }
        let decode = try arguments.intOption("--decode", default: 32)
        let threads = try arguments.intOption("--threads", default: 2)
        let pipelineName = try arguments.option("--pipeline") ?? "brain-t1"
        let softmaxOption = try arguments.option("--softmax")
        let out = URL(fileURLWithPath: try arguments.option("--out") ?? "reports/bench", isDirectory: true)
        _ = try arguments.positionals()
        let bundleFolder = try PipelineBundle.locate(pipelineName, executable: URL(fileURLWithPath: ChildProcess.selfPath))
        let bundle = try PipelineBundle(folder: bundleFolder)
        guard let reportModel = bundle.reportModel else { throw UsageError("\(bundleFolder.path) has no report model") }
        let spikingFile = bundleFolder.appendingPathComponent("report-lm.safetensors").path
        let softmaxFile = softmaxOption ?? bundleFolder.appendingPathComponent("training/lm-softmax/model.safetensors").path

        var rows: [Row] = []
        for tokens in lengths {
            var measured: [String: (Measurement, Double)] = [:]
            for (name, file) in [("spiking", spikingFile), ("softmax", softmaxFile)] {
                let result = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-lm-\(UUID().uuidString).json")
                defer { try? FileManager.default.removeItem(at: result) }
                let run = try ChildProcess.run(ChildProcess.selfPath, ["bench", "lm", "--child", file, "--tokens", String(tokens),
                                                                       "--decode", String(decode), "--threads", String(threads), "--result", result.path])
                guard run.status == 0, let data = try? Data(contentsOf: result) else {
                    throw UsageError("the \(name) run at \(tokens) tokens failed (exit \(run.status))")
                }
                measured[name] = (try JSONDecoder().decode(Measurement.self, from: data), run.peakRSSMB)
            }
            let (spiking, spikingMB) = measured["spiking"]!, (softmax, softmaxMB) = measured["softmax"]!
            rows.append(Row(tokens: tokens, spiking_prefill_s: spiking.prefillSeconds, softmax_prefill_s: softmax.prefillSeconds,
                            prefill_speedup: softmax.prefillSeconds / spiking.prefillSeconds,
                            spiking_decode_tok_s: spiking.decodeTokensPerSecond, softmax_decode_tok_s: softmax.decodeTokensPerSecond,
                            spiking_peak_mb: spikingMB, softmax_peak_mb: softmaxMB))
            print(String(format: "%6d tokens  prefill spiking %.2f s, softmax %.2f s (%.1f×)  decode %.0f vs %.0f tok/s  peak %.0f vs %.0f MB",
                         tokens, spiking.prefillSeconds, softmax.prefillSeconds, softmax.prefillSeconds / spiking.prefillSeconds,
                         spiking.decodeTokensPerSecond, softmax.decodeTokensPerSecond, spikingMB, softmaxMB))
            fflush(nil)
        }

        let writer = ReportWriter(tokenizer: reportModel.tokenizer, model: reportModel.model, threads: threads)
        guard let norms = bundle.norms else { throw UsageError("\(bundleFolder.path) has no normative models to sample findings from") }
        let sampler = FindingsSampler(norms: norms)
        var seconds: [Double] = []
        var fallbacks = 0
        var generator = SeededGenerator(seed: 2024)
        for _ in 0..<10 {
            let report = writer.write(sampler.sample(using: &generator), softwareVersion: neurospikeVersion)
            seconds.append(report.seconds)
            fallbacks += report.fallback ? 1 : 0
        }
        print(String(format: "whole report: median %.2f s over %d sampled findings (%d fell back to the deterministic rendering)",
                     median(seconds), seconds.count, fallbacks))
        if json {
            let table = Table(rows: rows, report_seconds_median: median(seconds), report_fallbacks: fallbacks, reports: seconds.count,
                              threads: threads, command: "neurospike bench lm --json")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(table).write(to: out.appendingPathComponent("lm.json"))
            var markdown = "| tokens | spiking prefill s | softmax prefill s | speed-up | spiking decode tok/s | softmax decode tok/s | spiking peak MB | softmax peak MB |\n"
            markdown += "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            for row in rows {
                markdown += String(format: "| %d | %.2f | %.2f | %.1f× | %.0f | %.0f | %.0f | %.0f |\n", row.tokens, row.spiking_prefill_s, row.softmax_prefill_s,
                                   row.prefill_speedup, row.spiking_decode_tok_s, row.softmax_decode_tok_s, row.spiking_peak_mb, row.softmax_peak_mb)
            }
            markdown += String(format: "\nWhole report (draft, render, check): median %.2f s over %d sampled findings; %d fallbacks. %d threads.\n",
                               median(seconds), seconds.count, fallbacks, threads)
            try Data(markdown.utf8).write(to: out.appendingPathComponent("lm.md"))
            print("wrote \(out.appendingPathComponent("lm.json").path)")
        }
        return .success
    }

    /// One measured process: prefill `--tokens` tokens, then decode `--decode` more, greedily.
    static func child(model file: String, arguments: inout Arguments) throws -> ExitCode {
        let tokens = try arguments.intOption("--tokens", default: 1024)
        let decode = try arguments.intOption("--decode", default: 32)
        let threads = try arguments.intOption("--threads", default: 2)
        guard let result = try arguments.option("--result") else { throw UsageError("--result FILE is required") }
        let model = try LanguageModel(contentsOf: URL(fileURLWithPath: file))
        let vocabulary = model.configuration.vocabularySize
        let prompt = (0..<tokens).map { Int32(($0 * 7919 + 13) % vocabulary) }
        let decoder = Decoder(model: model, backend: CPUBackend(threadCount: threads))
        let start = Date()
        var logits = decoder.feed(prompt, chunkSize: 512)
        let prefill = Date().timeIntervalSince(start)
        let decodeStart = Date()
        for _ in 0..<decode {
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            logits = decoder.feed([next])
        }
        let rate = Double(decode) / Date().timeIntervalSince(decodeStart)
        try JSONEncoder().encode(Measurement(prefillSeconds: prefill, decodeTokensPerSecond: rate)).write(to: URL(fileURLWithPath: result))
        return .success
    }
}
