import DICOMIngest
import Foundation
import NeuroImage
import TestSupport
import Testing

/// One conversion checked against dcm2niix's reference output in the suite's `Ref/` folder.
struct ReferenceCase: CustomTestStringConvertible, Sendable {
    /// Input file or folder, relative to the DICOM data root.
    var input: String
    /// The output name NeuroSpike gives the series to compare.
    var name: String
    /// dcm2niix's NIfTI, relative to the DICOM data root.
    var reference: String
    /// Vendor scaling may differ from dcm2niix's by a linear map (Philips: NeuroSpike keeps the DICOM
    /// RescaleSlope/Intercept "displayed" values; dcm2niix's reference stores Philips' floating-point values).
    var linearMapAllowed = false

    var testDescription: String { name }
}

let referenceCases: [ReferenceCase] = [
    ReferenceCase(input: "dcm_qa_xa30/In/5_anat-T1w_acq-tfl", name: "5_anat-T1w_acq-tfl", reference: "dcm_qa_xa30/Ref/5_anat-T1w_acq-tfl.nii"),
    ReferenceCase(input: "dcm_qa_xa30/In/6_anat-T1w_acq-tfl", name: "6_anat-T1w_acq-tfl", reference: "dcm_qa_xa30/Ref/6_anat-T1w_acq-tfl.nii"),
    ReferenceCase(input: "dcm_qa_frag/In/5001_anat-T1w_acq-tfl", name: "5001_anat-T1w_acq-tfl", reference: "dcm_qa_frag/Ref/anat-T1w_acq-tfl_5001.nii"),
    ReferenceCase(input: "dcm_qa_12bit/In", name: "2_FMRI_AX_ASC", reference: "dcm_qa_12bit/Ref/2.nii"),
    ReferenceCase(input: "dcm_qa_12bit/In", name: "3_FMRI_AX_ASC", reference: "dcm_qa_12bit/Ref/3.nii"),
    ReferenceCase(input: "dcm_qa_12bit/In", name: "4_FMRI_AX_ASC", reference: "dcm_qa_12bit/Ref/4.nii"),
    ReferenceCase(input: "dcm_qa_enh/In/Siemens", name: "6_REST1_w_SMS_PF7-8", reference: "dcm_qa_enh/Ref/Siemens_REST1_w_SMS_PF7-8_6.nii"),
    ReferenceCase(input: "dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm", name: "801_B0_NS", reference: "dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e1.nii", linearMapAllowed: true),
    ReferenceCase(input: "dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm", name: "801_B0_NS_fieldmap", reference: "dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e2_fieldmaphz.nii", linearMapAllowed: true),
    ReferenceCase(input: "dcm_qa_philips/In", name: "201_EPI_asc", reference: "dcm_qa_philips/Ref/EPI_asc_CLEAR_201.nii", linearMapAllowed: true),
    ReferenceCase(input: "dcm_qa_nih/In/20180918GE/mr_0004", name: "4_Axial_EPI-FMRI_Interleaved_I_to_S", reference: "dcm_qa_nih/Ref/DCM2NIIX_regression_test_4.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918GE/mr_0005", name: "5_Axial_EPI-FMRI_Sequential_I_to_S", reference: "dcm_qa_nih/Ref/DCM2NIIX_regression_test_5.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918GE/mr_0006", name: "6_Axial_EPI-FMRI_Interleaved_S_to_I", reference: "dcm_qa_nih/Ref/DCM2NIIX_regression_test_6.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918GE/mr_0007", name: "7_Axial_EPI-FMRI_Sequential_S_to_I", reference: "dcm_qa_nih/Ref/DCM2NIIX_regression_test_7.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918Si/mr_0003", name: "3_EPI_PE_AP", reference: "dcm_qa_nih/Ref/EPI_PE=AP_3.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918Si/mr_0004", name: "4_EPI_PE_PA", reference: "dcm_qa_nih/Ref/EPI_PE=PA_4.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918Si/mr_0005", name: "5_EPI_PE_RL", reference: "dcm_qa_nih/Ref/EPI_PE=RL_5.nii"),
    ReferenceCase(input: "dcm_qa_nih/In/20180918Si/mr_0006", name: "6_EPI_PE_LR", reference: "dcm_qa_nih/Ref/EPI_PE=LR_6.nii"),
] + (1...7).map {
    ReferenceCase(input: "dcm_qa_ts/In/\($0).dcm", name: "\($0)_ax_asc_35sl", reference: "dcm_qa_ts/Ref/\($0).nii")
}

@Suite(.enabled(if: SharedData.has("dicom"), SharedData.reason("dicom")))
struct ReferenceConversionTests {
    @Test(arguments: referenceCases)
    func convertedSeriesMatchesReferenceInWorldCoordinates(_ testCase: ReferenceCase) throws {
        let report = Ingest.scan([SharedData.dicom.appendingPathComponent(testCase.input)])
        let series = try #require(report.series.first { SafeName.make($0.label) == testCase.name },
                                  "series \(testCase.name) not found; found \(report.series.map(\.label)); failures \(report.failureLines)")
        let volume = try Ingest.load(series)
        let written = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString).nii.gz")
        defer { try? FileManager.default.removeItem(at: written) }
        try NIfTI.write(volume, to: written)
        let ours = try NIfTI.read(written)
        let reference = try NIfTI.read(SharedData.dicom.appendingPathComponent(testCase.reference))
        #expect(ours.shape.volumes == reference.shape.volumes)
        let comparison = WorldComparison(ours, reference)
        #expect(comparison.sameGrid, "voxel centres off the reference grid by \(comparison.maxIndexError) voxels, \(comparison.outside) outside")
        if testCase.linearMapAllowed {
            #expect(comparison.valuesAgreeUpToLinearMap, "residual \(comparison.maxResidual) after reference = \(comparison.slope)·ours + \(comparison.intercept)")
        } else {
            #expect(comparison.identicalValues, "values differ by up to \(comparison.maxValueDifference)")
        }
    }
}
