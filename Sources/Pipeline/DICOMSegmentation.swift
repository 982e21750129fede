import CDCMTK
import DICOMIngest
import Foundation
import NeuroImage
import Segmentation

/// A failure to write or read a DICOM Segmentation, with the reason (the step and DCMTK's message).
public struct DICOMSegmentationError: Error, CustomStringConvertible {
    public let problem: String
    public var description: String { problem }
}

/// `seg.dcm`: the label map as a binary DICOM Segmentation (SEG) in the source study, so that a PACS or
/// viewer shows it over the images it came from. Written and read with DCMTK's dcmseg (SegmentationWriter.cpp).
public enum DICOMSegmentation {
    /// How a structure is coded: SNOMED CT concepts of DICOM CID 7140 "Brain Structure for Volumetric
    /// Measurement" (DCM for the ventral diencephalon), left/right as a Segmented Property Type Modifier.
    struct Coding {
        var value: String
        var scheme: String
        var meaning: String
    }

    /// Aseg label → the structure's concept, without side (both hemispheres share it).
    static let codings: [Int: Coding] = {
        let concepts: [([Int], Coding)] = [
            ([2, 41], Coding(value: "68523003", scheme: "SCT", meaning: "Cerebral White Matter")),
            ([3, 42], Coding(value: "40146001", scheme: "SCT", meaning: "Cerebral Gray Matter")),
            ([4, 43], Coding(value: "66720007", scheme: "SCT", meaning: "Lateral Ventricle")),
            ([5, 44], Coding(value: "53118009", scheme: "SCT", meaning: "Inferior Horn of Lateral Ventricle")),
            ([7, 46], Coding(value: "33060004", scheme: "SCT", meaning: "Cerebellar White Matter")),
            ([8, 47], Coding(value: "25991003", scheme: "SCT", meaning: "Cerebellar Cortex")),
            ([10, 49], Coding(value: "119406000", scheme: "SCT", meaning: "Thalamus")),
            ([11, 50], Coding(value: "11000004", scheme: "SCT", meaning: "Caudate Nucleus")),
            ([12, 51], Coding(value: "89278009", scheme: "SCT", meaning: "Putamen")),
            ([13, 52], Coding(value: "14738005", scheme: "SCT", meaning: "Globus Pallidus")),
            ([14], Coding(value: "49841001", scheme: "SCT", meaning: "Third ventricle")),
            ([15], Coding(value: "35918002", scheme: "SCT", meaning: "Fourth Ventricle")),
            ([16], Coding(value: "119238007", scheme: "SCT", meaning: "Brain Stem")),
            ([17, 53], Coding(value: "5366008", scheme: "SCT", meaning: "Hippocampus")),
            ([18, 54], Coding(value: "4958002", scheme: "SCT", meaning: "Amygdala")),
            ([24], Coding(value: "33930006", scheme: "SCT", meaning: "Cranial Subarachnoid Space")),
            ([26, 58], Coding(value: "427667007", scheme: "SCT", meaning: "Nucleus Accumbens")),
            ([28, 60], Coding(value: "110700", scheme: "DCM", meaning: "Ventral Diencephalon")),
        ]
        return Dictionary(uniqueKeysWithValues: concepts.flatMap { labels, coding in labels.map { ($0, coding) } })
    }()

    /// Writes the segmentation of a DICOM series to `url`: one segment per structure present in `labels`
    /// (aseg values on the series' own grid, as `Ingest.load(.dicom(plan))` assembled it), frames only where
    /// a structure is present, each frame referencing its source image. The SEG series number is the source's
    /// plus 1000 (1000 when it has none). A failed write leaves no file at `url`.
    public static func write(labels: Volume, plan: SeriesPlan, softwareVersion: String, to url: URL) throws(DICOMSegmentationError) {
        let shape = labels.shape
        guard shape.i == plan.shape.i, shape.j == plan.shape.j, shape.k == plan.shape.k else {
            throw DICOMSegmentationError(problem: "label map \(shape) does not match the series grid \(plan.shape)")
        }
        guard shape.i <= Int(UInt16.max), shape.j <= Int(UInt16.max) else {
            throw DICOMSegmentationError(problem: "frames of \(shape.i)×\(shape.j) pixels are too large for DICOM")
        }
        let voxels = shape.voxelsPerVolume
        let values: [Int16]
        switch labels.voxels {
        case .int16(let stored): values = Array(stored.prefix(voxels))
        default: values = (0..<voxels).map { Int16(clamping: Int(labels.voxels.value(at: $0))) }
        }
        var present = Set<Int16>()
        for value in values where value != 0 { present.insert(value) }
        let structures = LabelSet.structures.filter { present.contains(Int16($0.asegLabel)) }
        guard !structures.isEmpty else { throw DICOMSegmentationError(problem: "the label map holds no structure") }
        if let uncoded = structures.first(where: { codings[$0.asegLabel] == nil }) {
            throw DICOMSegmentationError(problem: "no DICOM code for \(uncoded.name)")
        }

        let sources = plan.sourceImages
        let linear = plan.affine.linear
        let lps = SIMD3<Double>(-1, -1, 1)
        let alongRow = linear.columns.0 * lps
        let downColumn = linear.columns.1 * lps
        let normal = linear.columns.2
        let rowDirection = alongRow / length(alongRow)
        let columnDirection = downColumn / length(downColumn)
        var strings = CStrings()
        defer { strings.free() }
        var description = ns_seg_description()
        description.source_path = strings.add(sources[0].file.path)
        description.software_version = strings.add(softwareVersion)
        description.series_number = Int32(clamping: (plan.seriesNumber ?? 0) + 1000)
        description.rows = UInt16(shape.j)
        description.columns = UInt16(shape.i)
        description.slices = UInt32(shape.k)
        description.orientation_lps = (rowDirection.x, rowDirection.y, rowDirection.z,
                                       columnDirection.x, columnDirection.y, columnDirection.z)
        description.pixel_spacing_mm = (length(downColumn), length(alongRow))
        description.slice_spacing_mm = length(normal)
        description.slice_thickness_mm = plan.sliceThicknessMM ?? length(normal)
        let slices = sources.map { source in
            ns_seg_slice(sop_class_uid: strings.add(source.sopClassUID ?? ""),
                         sop_instance_uid: strings.add(source.sopInstanceUID ?? ""),
                         frame_number: UInt32(source.frameNumber ?? 0),
                         position_lps: (source.positionLPS.x, source.positionLPS.y, source.positionLPS.z))
        }
        let segments = structures.map { structure in
            let coding = codings[structure.asegLabel]!
            let laterality: Int32 = structure.name.hasPrefix("Left-") ? 1 : structure.name.hasPrefix("Right-") ? 2 : 0
            return ns_seg_segment(label_value: Int32(structure.asegLabel), label: strings.add(structure.name),
                                  type_code_value: strings.add(coding.value), type_coding_scheme: strings.add(coding.scheme),
                                  type_code_meaning: strings.add(coding.meaning), laterality: laterality,
                                  red: structure.colour.x, green: structure.colour.y, blue: structure.colour.z)
        }
        var message = [CChar](repeating: 0, count: 1024)
        let written = values.withUnsafeBufferPointer { labelBuffer in
            ns_seg_write(url.path, &description, slices, segments, segments.count, labelBuffer.baseAddress, &message, message.count)
        }
        guard written == 1 else {
            try? FileManager.default.removeItem(at: url)
            throw DICOMSegmentationError(problem: "cannot write \(url.lastPathComponent): \(String(nulTerminated: message))")
        }
    }

    /// One frame of a segmentation read back: which segment, where, from which source image, and its pixels.
    public struct Frame: Sendable {
        /// 1-based segment number.
        public let segmentNumber: Int
        /// ImagePositionPatient (LPS, mm).
        public let positionLPS: SIMD3<Double>
        public let sourceInstanceUID: String
        /// 1-based frame of the source image; nil for a single-frame source.
        public let sourceFrameNumber: Int?
        /// One byte per pixel (0 or 1), row by row.
        public let pixels: [UInt8]
    }

    /// A segmentation as dcmseg reads it.
    public struct Contents: Sendable {
        public let rows: Int
        public let columns: Int
        /// Segment Labels, segment number 1 first.
        public let segmentLabels: [String]
        public let frames: [Frame]
    }

    /// Reads a DICOM Segmentation with dcmseg.
    public static func read(_ url: URL) throws(DICOMSegmentationError) -> Contents {
        var message = [CChar](repeating: 0, count: 512)
        guard let file = ns_seg_open(url.path, &message, message.count) else {
            throw DICOMSegmentationError(problem: "cannot read \(url.path): \(String(nulTerminated: message))")
        }
        defer { ns_seg_close(file) }
        let rows = Int(ns_seg_rows(file))
        let columns = Int(ns_seg_columns(file))
        var labels: [String] = []
        for number in 0..<ns_seg_segment_count(file) {
            var buffer = [CChar](repeating: 0, count: 256)
            guard ns_seg_segment_label(file, UInt16(number + 1), &buffer, buffer.count) >= 0 else {
                throw DICOMSegmentationError(problem: "segment \(number + 1) of \(url.path) has no label")
            }
            labels.append(String(nulTerminated: buffer))
        }
        var frames: [Frame] = []
        for index in 0..<ns_seg_frame_count(file) {
            var segment: UInt16 = 0
            var position = [Double](repeating: 0, count: 3)
            var uid = [CChar](repeating: 0, count: 128)
            var sourceFrame: UInt32 = 0
            var pixels = [UInt8](repeating: 0, count: rows * columns)
            guard ns_seg_frame(file, index, &segment, &position, &uid, uid.count, &sourceFrame, &pixels, pixels.count) == 1 else {
                throw DICOMSegmentationError(problem: "frame \(index + 1) of \(url.path) is incomplete")
            }
            frames.append(Frame(segmentNumber: Int(segment), positionLPS: SIMD3(position[0], position[1], position[2]),
                                sourceInstanceUID: String(nulTerminated: uid),
                                sourceFrameNumber: sourceFrame == 0 ? nil : Int(sourceFrame), pixels: pixels))
        }
        return Contents(rows: rows, columns: columns, segmentLabels: labels, frames: frames)
    }
}

/// C strings that live until `free()`, for the C structures passed to the writer.
private struct CStrings {
    private var pointers: [UnsafeMutablePointer<CChar>] = []

    mutating func add(_ text: String) -> UnsafePointer<CChar> {
        let pointer = strdup(text)!
        pointers.append(pointer)
        return UnsafePointer(pointer)
    }

    func free() { pointers.forEach { Foundation.free($0) } }
}
