import DICOMIngest
import Foundation
import NeuroImage
import Pipeline
import Segmentation
import TestSupport
import Testing

/// The enhanced multi-frame T1 (Siemens XA30, 128×128×96) that the SEG tests segment.
private let xa30T1 = "dicom/dcm_qa_xa30/In/5_anat-T1w_acq-tfl"

/// One `neurospike segment` run of the xa30 T1, shared by the tests that inspect its `seg.dcm` (a run takes
/// 10–20 s). Its scratch folder is removed when the test process exits.
private enum SharedSegmentRun {
    struct Output {
        let folder: URL
        var seg: URL { folder.appendingPathComponent("seg.dcm") }
        var labels: URL { folder.appendingPathComponent("labels.nii.gz") }
    }

    static let scratch: Result<URL, any Error> = Result { try ScratchFolder().url }

    static let output: Result<Output, any Error> = Result {
        let out = try scratch.get().appendingPathComponent("out")
        atexit {
            if case .success(let folder) = SharedSegmentRun.scratch { try? FileManager.default.removeItem(at: folder) }
        }
        let result = try NeuroSpikeBinary.run(["segment", SharedData.url(xa30T1).path, "--out", out.path, "--backend", "cpu"])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "segment failed: \(result.standardError)"])
        }
        return Output(folder: out.appendingPathComponent("5_anat-T1w_acq-tfl"))
    }
}

/// The data set of a DICOM file in the DICOM JSON model (PS3.18 F), as DCMTK's `dcm2json` writes it.
private func dicomJSON(_ file: URL) throws -> [String: Any] {
    let result = try runProcess("/usr/bin/dcm2json", ["-fc", file.path])
    return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
                        "dcm2json failed on \(file.path): \(result.standardError)")
}

/// The first value of element `tag` ("0020000D") of a DICOM JSON data set, as text.
private func value(_ dataset: [String: Any]?, _ tag: String) -> String? {
    ((dataset?[tag] as? [String: Any])?["Value"] as? [Any])?.first.map { "\($0)" }
}

/// Item `index` of sequence `tag` of a DICOM JSON data set.
private func item(_ dataset: [String: Any], _ tag: String, _ index: Int = 0) -> [String: Any]? {
    guard let items = (dataset[tag] as? [String: Any])?["Value"] as? [[String: Any]], items.indices.contains(index) else { return nil }
    return items[index]
}

@Suite(.enabled(if: SharedData.has(xa30T1), SharedData.reason(xa30T1)),
       .enabled(if: NeuroSpikeBinary.available, "needs the neurospike binary built beside the tests"),
       .enabled(if: FileManager.default.fileExists(atPath: Repository.url("pipelines/brain-t1/segmenter.safetensors").path),
                "needs the shipped segmenter in pipelines/brain-t1"))
struct SegDcmTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dciodvfy"), "needs dciodvfy (Debian dicom3tools)"))
    func segDcmPassesDciodvfy() throws {
        let output = try SharedSegmentRun.output.get()

        let result = try runProcess("/usr/bin/dciodvfy", [output.seg.path])

        let lines = (result.standardOutput + result.standardError).split(separator: "\n")
        #expect(lines.contains { $0.contains("Segmentation") }, "dciodvfy did not recognise a Segmentation IOD: \(lines)")
        let errors = lines.filter { $0.contains("Error") }
        #expect(errors.isEmpty, "dciodvfy: \(errors.joined(separator: "\n"))")
    }

    @Test func segDcmReadsBackAsTheLabelMap() throws {
        let output = try SharedSegmentRun.output.get()
        let labels = try NIfTI.read(output.labels)
        let shape = labels.shape
        guard case .dicom(let plan) = try #require(Ingest.scan([SharedData.url(xa30T1)]).series.first) else {
            Issue.record("the xa30 T1 was not planned as a DICOM series")
            return
        }
        let sources = plan.sourceImages

        let seg = try DICOMSegmentation.read(output.seg)

        var present = Set<Int>()
        for index in 0..<shape.voxelsPerVolume { present.insert(Int(labels.voxels.value(at: index))) }
        let structures = LabelSet.structures.filter { $0.asegLabel != 0 && present.contains($0.asegLabel) }
        #expect(seg.segmentLabels == structures.map(\.name))
        #expect(seg.rows == shape.j && seg.columns == shape.i)
        let toVoxel = try #require(labels.affine.inverse)
        let slice = shape.i * shape.j
        var framesOf = [Int: [Int: DICOMSegmentation.Frame]]()
        for frame in seg.frames {
            let voxel = toVoxel.world(frame.positionLPS * SIMD3(-1, -1, 1))
            let k = Int(voxel.z.rounded())
            #expect(abs(voxel.x) < 1e-3 && abs(voxel.y) < 1e-3 && abs(voxel.z - Double(k)) < 1e-3 && (0..<shape.k).contains(k),
                    "frame position \(frame.positionLPS) is not the first voxel of a slice: \(voxel)")
            guard (0..<shape.k).contains(k) else { continue }
            #expect(framesOf[frame.segmentNumber]?[k] == nil, "two frames of segment \(frame.segmentNumber) on slice \(k)")
            framesOf[frame.segmentNumber, default: [:]][k] = frame
            #expect(frame.sourceInstanceUID == sources[k].sopInstanceUID && frame.sourceFrameNumber == sources[k].frameNumber,
                    "slice \(k) references \(frame.sourceInstanceUID) frame \(frame.sourceFrameNumber ?? 0)")
        }
        for (index, structure) in structures.enumerated() {
            let frames = framesOf[index + 1] ?? [:]
            var mismatched: [Int] = []
            for k in 0..<shape.k {
                let expected = (0..<slice).map { labels.voxels.value(at: $0 + slice * k) == Double(structure.asegLabel) ? UInt8(1) : 0 }
                let decoded = frames[k]?.pixels ?? [UInt8](repeating: 0, count: slice)
                if decoded != expected || (frames[k] != nil && !expected.contains(1)) { mismatched.append(k) }
            }
            #expect(mismatched.isEmpty, "\(structure.name): frames differ from labels.nii.gz on slices \(mismatched)")
        }
    }

    @Test func segDcmBelongsToTheSourceStudy() throws {
        let output = try SharedSegmentRun.output.get()
        let sourceFile = try #require(try FileManager.default.contentsOfDirectory(at: SharedData.url(xa30T1),
                                                                                    includingPropertiesForKeys: nil).first)

        let seg = try dicomJSON(output.seg)
        let source = try dicomJSON(sourceFile)

        for (name, tag) in [("PatientID", "00100020"), ("StudyInstanceUID", "0020000D"), ("FrameOfReferenceUID", "00200052")] {
            #expect(value(seg, tag) != nil && value(seg, tag) == value(source, tag), "\(name) differs from the source's")
        }
        #expect(value(seg, "00080060") == "SEG")
        #expect(value(seg, "0008103E") == "NeuroSpike segmentation")
        #expect(value(seg, "0020000E") != value(source, "0020000E"))
        let referenced = item(seg, "00081115")
        #expect(value(referenced, "0020000E") == value(source, "0020000E"))
        #expect(value(referenced.flatMap { item($0, "0008114A") }, "00081155") == value(source, "00080018"))
    }
}

@Suite(.enabled(if: SharedData.has(xa30T1), SharedData.reason(xa30T1)))
struct SegDcmFailureTests {
    @Test func segDcmFailsWithAMessageAndLeavesNoFile() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = try scratch.folder("in")
        let original = try #require(try FileManager.default.contentsOfDirectory(at: SharedData.url(xa30T1), includingPropertiesForKeys: nil).first)
        let copy = input.appendingPathComponent("t1.dcm")
        try FileManager.default.copyItem(at: original, to: copy)
        let strip = try runProcess("/usr/bin/dcmodify", ["-nb", "-q", "-ea", "(0008,0018)", copy.path])
        #expect(strip.status == 0)
        guard case .dicom(let plan) = try #require(Ingest.scan([input]).series.first) else {
            Issue.record("the copy was not planned as a DICOM series")
            return
        }
        var voxels = [Int16](repeating: 0, count: plan.shape.voxelsPerVolume)
        voxels[plan.shape.voxelsPerVolume / 2] = 17
        let labels = Volume(shape: plan.shape, affine: plan.affine, voxels: .int16(voxels))
        let seg = scratch.url.appendingPathComponent("seg.dcm")

        let error = #expect(throws: DICOMSegmentationError.self) {
            try DICOMSegmentation.write(labels: labels, plan: plan, softwareVersion: "test", to: seg)
        }

        #expect(error?.problem.contains("SOPInstanceUID") == true, "\(error?.problem ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: seg.path))
    }
}
