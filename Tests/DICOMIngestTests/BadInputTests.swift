import Foundation
import DICOMIngest
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.has("dicom"), SharedData.reason("dicom")),
       .enabled(if: NeuroSpikeBinary.available, "needs the neurospike binary built beside the tests (swift build first)"))
struct BadInputTests {
    private func copy(_ relative: String, to folder: URL, as name: String? = nil) throws -> URL {
        let source = SharedData.dicom.appendingPathComponent(relative)
        let target = folder.appendingPathComponent(name ?? source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: target)
        return target
    }

    @Test func hostileBatchFailsPerFileAndConvertsTheRest() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = try scratch.folder("in")
        _ = try copy("pydicom-testfiles/MR_small.dcm", to: input)
        _ = try copy("pydicom-testfiles/MR_truncated.dcm", to: input)
        _ = try copy("pydicom-testfiles/MR_small_jp2klossless.dcm", to: input)
        _ = FileManager.default.createFile(atPath: input.appendingPathComponent("empty.dcm").path, contents: Data())
        var generator = SystemRandomNumberGenerator()
        let junk = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        _ = FileManager.default.createFile(atPath: input.appendingPathComponent("random.dcm").path, contents: junk)
        _ = FileManager.default.createFile(atPath: input.appendingPathComponent("notes.txt").path, contents: Data("scan notes".utf8))
        let hostile = try copy("dcm_qa_xa30/In/5_anat-T1w_acq-tfl/0001_1.3.12.2.1107.5.2.43.67093.2022071112080825794102791.dcm",
                               to: input, as: "hostile.dcm")
        try dcmodify(hostile, ["(0008,103e)=../../escaped/x", "(0020,0011)=77"])
        let output = scratch.url.appendingPathComponent("out")

        let result = try NeuroSpikeBinary.run(["convert", input.path, "--out", output.path])

        #expect(result.status == 1)
        let errors = result.standardError
        #expect(errors.contains("MR_truncated.dcm: unreadable DICOM"))
        #expect(errors.contains("MR_small_jp2klossless.dcm: JPEG 2000 is not supported"))
        #expect(errors.contains("empty.dcm: empty file"))
        #expect(errors.contains("random.dcm: not a DICOM file"))
        #expect(!errors.contains("notes.txt"))
        #expect(errors.split(separator: "\n").count == 4, "one line per bad file: \(errors)")
        let files = scratch.allFiles()
        let outputs = files.filter { $0.hasPrefix("out/") }
        #expect(outputs.contains("out/77_escaped_x.nii.gz"))
        #expect(outputs.contains("out/1.nii.gz"))
        #expect(outputs.allSatisfy { !$0.dropFirst(4).contains("/") && !$0.contains("..") && !$0.contains(".partial-") })
        #expect(files.allSatisfy { $0.hasPrefix("in/") || $0.hasPrefix("out/") }, "written outside --out: \(files)")
    }

    @Test func missingSliceNamesItsNeighboursAndIsWrittenOnlyWhenAllowed() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = try scratch.folder("in")
        let series = SharedData.dicom.appendingPathComponent("dcm_qa_frag/In/5001_anat-T1w_acq-tfl")
        let slices = try FileManager.default.contentsOfDirectory(atPath: series.path).filter { $0.hasSuffix(".dcm") }.sorted()
        for name in slices where name != "5001050.dcm" {
            try FileManager.default.copyItem(at: series.appendingPathComponent(name), to: input.appendingPathComponent(name))
        }
        _ = try copy("pydicom-testfiles/MR_small.dcm", to: input)
        let output = scratch.url.appendingPathComponent("out")

        let strict = try NeuroSpikeBinary.run(["convert", input.path, "--out", output.path])
        #expect(strict.status == 1)
        let message = strict.standardError
        #expect(message.contains("1 slice missing between"), "\(message)")
        #expect(message.contains("5001049.dcm") && message.contains("5001051.dcm"), "the neighbours of the gap are named: \(message)")
        #expect(strict.standardError.contains("--allow-irregular"))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("5001_anat-T1w_acq-tfl.nii.gz").path))

        let lenient = try NeuroSpikeBinary.run(["convert", input.path, "--out", output.path, "--allow-irregular"])
        #expect(lenient.status == 0, "\(lenient.standardError)")
        #expect(lenient.standardOutput.contains("slice missing"))
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("5001_anat-T1w_acq-tfl.nii.gz").path))
    }

    @Test func jpeg2000SeriesGetsOneErrorAndTheOtherSeriesConvert() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let result = try NeuroSpikeBinary.run(["convert", SharedData.dicom.appendingPathComponent("dcm_qa_frag/In").path,
                                               "--out", scratch.url.path])
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(result.standardError)")
        #expect(lines.first?.contains("JPEG 2000 is not supported") == true)
        #expect(lines.first?.contains("and 95 more files of series '6001 anat-T1w_acq-tfl'") == true)
        #expect(scratch.allFiles() == ["5001_anat-T1w_acq-tfl.json", "5001_anat-T1w_acq-tfl.nii.gz"])
    }
}

@Suite(.enabled(if: SharedData.has("dicom"), SharedData.reason("dicom")))
struct RescaleTests {
    @Test func perSliceRescaleGivesFloatVoxelsScaledSliceBySlice() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = try scratch.folder("in")
        let series = SharedData.dicom.appendingPathComponent("dcm_qa_frag/In/5001_anat-T1w_acq-tfl")
        for name in try FileManager.default.contentsOfDirectory(atPath: series.path) where name.hasSuffix(".dcm") {
            try FileManager.default.copyItem(at: series.appendingPathComponent(name), to: input.appendingPathComponent(name))
        }
        try dcmodify(input.appendingPathComponent("5001040.dcm"), ["(0028,1053)=2.5", "(0028,1052)=-10"])

        let original = try Ingest.load(try #require(Ingest.scan([series]).series.first))
        let rescaled = try Ingest.load(try #require(Ingest.scan([input]).series.first))

        guard case .float32 = rescaled.voxels else {
            Issue.record("per-slice rescale must give float32 voxels, got \(rescaled.voxels)")
            return
        }
        #expect(rescaled.affine == original.affine)
        var changedSlices = Set<Int>()
        for k in 0..<original.shape.k {
            for j in stride(from: 0, to: original.shape.j, by: 7) {
                for i in stride(from: 0, to: original.shape.i, by: 7) {
                    let before = original.value(i: i, j: j, k: k)
                    let after = rescaled.value(i: i, j: j, k: k)
                    if after != before {
                        #expect(abs(after - (2.5 * before - 10)) < 1e-3)
                        changedSlices.insert(k)
                    }
                }
            }
        }
        #expect(changedSlices.count == 1)
    }
}
