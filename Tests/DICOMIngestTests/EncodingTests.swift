import DICOMIngest
import Foundation
import NeuroImage
import TestSupport
import Testing

@Suite(.enabled(if: SharedData.has("dicom"), SharedData.reason("dicom")),
       .enabled(if: NeuroSpikeBinary.available, "needs the neurospike binary built beside the tests (swift build first)"))
struct EncodingTests {
    static let encodings = ["MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_implicit.dcm",
                            "MR_small_jpeg_ls_lossless.dcm", "MR_small_padded.dcm"]

    private func load(_ relative: String) throws -> Volume {
        let report = Ingest.scan([SharedData.dicom.appendingPathComponent(relative)])
        #expect(report.failures.isEmpty, "\(report.failureLines)")
        let series = try #require(report.series.first)
        return try Ingest.load(series)
    }

    @Test(arguments: encodings)
    func everyTransferSyntaxDecodesToTheSameVoxels(_ name: String) throws {
        let reference = try load("pydicom-testfiles/MR_small.dcm")
        let other = try load("pydicom-testfiles/\(name)")
        #expect(other.shape == reference.shape)
        #expect(other.affine == reference.affine)
        #expect(other.voxels.floats() == reference.voxels.floats())
    }

    @Test func transferSyntaxSuiteDecodesLosslessSyntaxesIdentically() throws {
        let reference = try load("dcm_qa_ts/In/1.dcm")
        for index in 2...7 {
            let other = try load("dcm_qa_ts/In/\(index).dcm")
            #expect(other.voxels.floats() == reference.voxels.floats(), "transfer syntax file \(index).dcm")
        }
    }

    @Test func rescaleWrittenInDecimalTextIsKeptAsTheVolumeScale() throws {
        let volume = try load("nibabel-nicom/decimal_rescale.dcm")
        #expect(volume.scale == IntensityScale(slope: 2, intercept: -4096))
    }

    @Test func derivedMapsAndEchoesBecomeSeparateSeries() throws {
        let report = Ingest.scan([SharedData.dicom.appendingPathComponent("dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm")])
        #expect(report.series.map(\.label).sorted() == ["801_B0 NS", "801_B0 NS_fieldmap"])
    }

    @Test func documentsWithoutPixelDataAreSkippedAndCounted() {
        let report = Ingest.scan([SharedData.dicom.appendingPathComponent("dcm_qa_xa30/In")])
        #expect(report.skippedNonImage == 7)
        #expect(report.series.count == 2)
        #expect(report.failures.isEmpty)
    }

    @Test func sidecarCarriesAcquisitionFactsInBIDSUnits() throws {
        let report = Ingest.scan([SharedData.dicom.appendingPathComponent("dcm_qa_xa30/In/5_anat-T1w_acq-tfl")])
        let series = try #require(report.series.first)
        let sidecar = Ingest.sidecar(for: series, softwareVersion: "test")
        let referenceData = try Data(contentsOf: SharedData.dicom.appendingPathComponent("dcm_qa_xa30/Ref/5_anat-T1w_acq-tfl.json"))
        let reference = try #require(try JSONSerialization.jsonObject(with: referenceData) as? [String: Any])
        for key in ["RepetitionTime", "EchoTime", "InversionTime", "FlipAngle", "MagneticFieldStrength"] {
            guard case .number(let ours) = sidecar[key] else {
                Issue.record("\(key) missing")
                continue
            }
            let theirs = try #require(reference[key] as? Double, "\(key) in dcm2niix's sidecar")
            #expect(abs(ours - theirs) < 1e-6, "\(key): \(ours) vs \(theirs)")
        }
        #expect(sidecar["Manufacturer"] == .text("Siemens Healthineers"))
        #expect(sidecar["SeriesDescription"] == .text("anat-T1w_acq-tfl"))
    }

    @Test func outputsNeverCarryThePatientsNameOrID() throws {
        let scratch = try ScratchFolder()
        defer { scratch.remove() }
        let input = try scratch.folder("in")
        let file = input.appendingPathComponent("named.dcm")
        try FileManager.default.copyItem(at: SharedData.dicom.appendingPathComponent("pydicom-testfiles/MR_small.dcm"), to: file)
        try dcmodify(file, ["(0010,0010)=Doe^Janet", "(0010,0020)=PID-990077", "(0010,1010)=045Y", "(0010,0040)=F"])
        let output = scratch.url.appendingPathComponent("out")
        let result = try NeuroSpikeBinary.run(["convert", input.path, "--out", output.path])
        #expect(result.status == 0, "\(result.standardError)")
        var everything = result.standardOutput + result.standardError
        for name in scratch.allFiles() where name.hasPrefix("out/") {
            everything += String(decoding: try Data(contentsOf: scratch.url.appendingPathComponent(name)), as: UTF8.self)
        }
        #expect(!everything.contains("Doe") && !everything.contains("Janet") && !everything.contains("990077"))
        let sidecar = try String(contentsOf: output.appendingPathComponent("1.json"), encoding: .utf8)
        #expect(sidecar.contains("\"PatientAge\" : 45"))
        #expect(sidecar.contains("\"PatientSex\" : \"F\""))
    }
}
