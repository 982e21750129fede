import DICOMIngest
import Foundation
import NeuroImage
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.has("dicom/dcm_qa_xa30"), SharedData.reason("dicom/dcm_qa_xa30")),
       .enabled(if: NeuroSpikeBinary.available, "needs the neurospike binary built beside the tests"),
       .enabled(if: FileManager.default.fileExists(atPath: Repository.url("pipelines/brain-t1/segmenter.safetensors").path),
                "needs the shipped segmenter in pipelines/brain-t1"))
struct SegmentCommandTests {
    static let contractFiles = ["input.nii.gz", "labels.nii.gz", "labels.tsv", "qc/overlay_axial.png", "qc/overlay_coronal.png",
                                "qc/overlay_sagittal.png", "volumes.csv", "findings.json", "report.txt", "run.json", "seg.dcm"]

    @Test func segmentsARealT1IntoEveryContractFileOnTheInputsGrid() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = SharedData.url("dicom/dcm_qa_xa30/In")
        let out = scratch.url.appendingPathComponent("out")

        let result = try NeuroSpikeBinary.run(["segment", input.path, "--out", out.path, "--backend", "cpu"])

        #expect(result.status == 0, "\(result.standardError)")
        let folder = out.appendingPathComponent("5_anat-T1w_acq-tfl")
        for name in Self.contractFiles {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name) missing")
        }
        let source = try Ingest.load(try #require(Ingest.scan([input.appendingPathComponent("5_anat-T1w_acq-tfl")]).series.first))
        let labels = try NIfTI.read(folder.appendingPathComponent("labels.nii.gz"))
        #expect(labels.shape == source.shape)
        #expect(zip(labels.affine.rows.joined(), source.affine.rows.joined()).allSatisfy { abs($0 - $1) < 1e-4 })
        let masks = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("masks").path)
        #expect(masks.count == source.shape.k)
        let mask = try PNG.read(folder.appendingPathComponent("masks/slice_0048.png"))
        guard case .indexed(let pixels) = mask.content else {
            Issue.record("masks must be indexed PNGs")
            return
        }
        for j in stride(from: 0, to: source.shape.j, by: 5) {
            for i in stride(from: 0, to: source.shape.i, by: 5) {
                #expect(Double(pixels[i + source.shape.i * j]) == labels.value(i: i, j: j, k: 47), "mask pixel = label")
            }
        }
        let run = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json"))) as? [String: Any])
        #expect(run["complete"] as? Bool == true)
        #expect(run["activation"] as? String == "spiking")
        let classWeights = Repository.url("pipelines/brain-t1/class-weights.json").path
        #expect(run["class_weights_sha256"] as? String == String(try runProcess("/usr/bin/sha256sum", [classWeights]).standardOutput.prefix(64)))
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("findings.json"))) as? [String: Any])
        let eTIV = try #require(findings["eTIVML"] as? Double)
        let volumes = try Self.volumesML(folder.appendingPathComponent("volumes.csv"))
        let left = try #require(volumes["Left-Hippocampus"]), right = try #require(volumes["Right-Hippocampus"])
        let structures = try #require(findings["structures"] as? [[String: Any]])
        let listed = structures.first { $0["name"] as? String == "Left-Hippocampus" }?["volumeML"] as? Double
        #expect(abs((listed ?? -1) - left) < 0.001, "volumes.csv and findings.json agree")
        #expect((1100...1900).contains(eTIV), "eTIV \(eTIV) mL is not adult-physiological (CSF outside the skull counted?)")
        #expect((2.0...6.0).contains(left), "left hippocampus \(left) mL is not adult-physiological")
        #expect((2.0...6.0).contains(right), "right hippocampus \(right) mL is not adult-physiological")
        let summary = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(summary.contains("5_anat-T1w_acq-tfl,done"))
        #expect(summary.contains("6_anat-T1w_acq-tfl,done"))

        let again = try NeuroSpikeBinary.run(["segment", input.path, "--out", out.path, "--backend", "cpu"])
        #expect(again.status == 0)
        #expect(try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8).contains("5_anat-T1w_acq-tfl,already done"))
    }

    @Test func twoJobsWriteTheSameLabelsInTheSameSummaryOrderAsOne() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = SharedData.url("dicom/dcm_qa_xa30/In")
        var outputs: [URL] = []
        for jobs in [1, 2] {
            let out = scratch.url.appendingPathComponent("jobs-\(jobs)")

            let result = try NeuroSpikeBinary.run(["segment", input.path, "--out", out.path, "--backend", "cpu", "--jobs", "\(jobs)"])

            #expect(result.status == 0, "\(result.standardError)")
            let finished = result.standardOutput.split(separator: "\n").filter { $0.contains(": done in ") }
            #expect(finished.count == 2, "without a terminal, one progress line per finished series: \(result.standardOutput)")
            outputs.append(out)
        }
        for name in ["5_anat-T1w_acq-tfl", "6_anat-T1w_acq-tfl"] {
            let one = try NIfTI.read(outputs[0].appendingPathComponent("\(name)/labels.nii.gz"))
            let two = try NIfTI.read(outputs[1].appendingPathComponent("\(name)/labels.nii.gz"))
            #expect(one.shape == two.shape && one.voxels == two.voxels, "labels of \(name) differ between --jobs 1 and 2")
            let volumes = try outputs.map { try Self.volumesML($0.appendingPathComponent("\(name)/volumes.csv")) }
            #expect(volumes[0] == volumes[1], "volumes of \(name)")
        }
        // The last column is the series' wall time, which differs from run to run.
        let rows = try outputs.map { out in
            try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
        }
        #expect(rows[0] == rows[1])
        #expect(rows[0].count == 3 && rows[0][1].hasPrefix("5_anat") && rows[0][2].hasPrefix("6_anat"), "\(rows[0])")
    }

    /// Structure name → volume in mL, from a `volumes.csv`.
    static func volumesML(_ url: URL) throws -> [String: Double] {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        return Dictionary(uniqueKeysWithValues: lines.compactMap { line -> (String, Double)? in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > 2, let volume = Double(fields[2]) else { return nil }
            return (String(fields[1]), volume)
        })
    }

    @Test func hostileBatchFinishesTheGoodSeriesAndSaysWhyOthersWereSkipped() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = try scratch.folder("in")
        let t1 = try scratch.folder("in/t1")
        try FileManager.default.copyItem(at: SharedData.url("dicom/dcm_qa_xa30/In/6_anat-T1w_acq-tfl"), to: t1.appendingPathComponent("series"))
        try FileManager.default.copyItem(at: SharedData.url("dicom/pydicom-testfiles/MR_small.dcm"), to: input.appendingPathComponent("small.dcm"))
        try FileManager.default.copyItem(at: SharedData.url("dicom/pydicom-testfiles/MR_truncated.dcm"), to: input.appendingPathComponent("truncated.dcm"))
        _ = FileManager.default.createFile(atPath: input.appendingPathComponent("junk.dcm").path, contents: Data(repeating: 7, count: 900))
        let out = scratch.url.appendingPathComponent("out")

        let result = try NeuroSpikeBinary.run(["segment", input.path, "--out", out.path, "--backend", "cpu"])

        #expect(result.status == 1, "\(result.standardError)")
        #expect(result.standardError.contains("truncated.dcm") && result.standardError.contains("junk.dcm"))
        let summary = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(summary.contains("6_anat-T1w_acq-tfl,done"))
        #expect(summary.contains(",skipped,derived image"), "MR_small is a derived single slice: \(summary)")
        let log = try String(contentsOf: out.appendingPathComponent("errors.log"), encoding: .utf8)
        #expect(log.contains("truncated.dcm"))
        #expect(scratch.allFiles().allSatisfy { $0.hasPrefix("in/") || $0.hasPrefix("out/") })
    }
}

@Suite(.enabled(if: SharedData.has("dicom/dcm_qa_xa30"), SharedData.reason("dicom/dcm_qa_xa30")),
       .enabled(if: NeuroSpikeBinary.available, "needs the neurospike binary built beside the tests"),
       .enabled(if: FileManager.default.fileExists(atPath: Repository.url("pipelines/brain-t1/segmenter.safetensors").path),
                "needs the shipped segmenter in pipelines/brain-t1"))
struct InterruptedBatchTests {
    @Test func killedBatchCompletesOnRerunAndKeepsFinishedSeriesUntouched() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = SharedData.url("dicom/dcm_qa_xa30/In")
        let out = scratch.url.appendingPathComponent("out")
        let first = out.appendingPathComponent("5_anat-T1w_acq-tfl/run.json")
        let process = Process()
        process.executableURL = NeuroSpikeBinary.url
        process.arguments = ["segment", input.path, "--out", out.path, "--backend", "cpu"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: first.path) && Date() < deadline { usleep(20_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let finished = try Data(contentsOf: first)
        let labels = try Data(contentsOf: out.appendingPathComponent("5_anat-T1w_acq-tfl/labels.nii.gz"))

        let rerun = try NeuroSpikeBinary.run(["segment", input.path, "--out", out.path, "--backend", "cpu"])

        #expect(rerun.status == 0, "\(rerun.standardError)")
        #expect(try Data(contentsOf: first) == finished)
        #expect(try Data(contentsOf: out.appendingPathComponent("5_anat-T1w_acq-tfl/labels.nii.gz")) == labels)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("6_anat-T1w_acq-tfl/run.json").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "half-built folders left: \(leftovers)")
    }
}
