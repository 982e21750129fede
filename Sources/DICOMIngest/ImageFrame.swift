import Foundation
import NeuroImage

/// How stored pixel words are laid out and must be interpreted.
struct PixelFormat: Hashable, Sendable {
    var bitsAllocated: Int
    var bitsStored: Int
    var highBit: Int
    var isSigned: Bool

    /// The real sample value of a raw stored word: keep bits (highBit-bitsStored, highBit], sign-extend if signed.
    @inline(__always)
    func sample(_ word: UInt32) -> Int32 {
        let shift = UInt32(highBit + 1 - bitsStored)
        let mask: UInt32 = bitsStored >= 32 ? .max : (1 << UInt32(bitsStored)) - 1
        let value = (word >> shift) & mask
        if isSigned && bitsStored < 32 && value & (1 << UInt32(bitsStored - 1)) != 0 {
            return Int32(bitPattern: value | ~mask)
        }
        return Int32(bitPattern: value)
    }

    /// The smallest range the stored samples can take.
    var sampleRange: ClosedRange<Int64> {
        isSigned ? -(Int64(1) << (bitsStored - 1))...((Int64(1) << (bitsStored - 1)) - 1) : 0...((Int64(1) << bitsStored) - 1)
    }
}

/// A Siemens mosaic: one stored image holding `count` slices as tiles, row by row.
struct MosaicLayout: Hashable, Sendable {
    var count: Int
    var tilesPerRow: Int
    var tileRows: Int
    var tileColumns: Int
    /// Direction (LPS) in which the tiles advance, from the CSA header; nil when absent.
    var sliceNormalLPS: SIMD3<Double>?
}

/// One 2D image to be placed into a volume: a classic file, a frame of a multi-frame file, or a mosaic.
struct ImageFrame: Sendable {
    var file: URL
    /// 0-based frame number inside the file.
    var frameIndex: Int
    /// SOPInstanceUID plus frame number: equal for copies of the same image.
    var instanceKey: String
    /// What a derived object (a DICOM Segmentation) references; nil when the file lacks them.
    var sopClassUID: String?
    var sopInstanceUID: String?
    /// True for a frame of an enhanced multi-frame object, referenced by instance and frame number.
    var isMultiFrame: Bool
    /// Groups frames of one series: SeriesInstanceUID and SeriesNumber (some exports reuse a UID across series).
    var seriesKey: String
    var rows: Int
    var columns: Int
    /// Centre of the first stored pixel, DICOM patient coordinates (LPS, mm).
    var positionLPS: SIMD3<Double>
    /// Direction cosines: along a row (column index grows) and down a column (row index grows).
    var rowDirection: SIMD3<Double>
    var columnDirection: SIMD3<Double>
    /// PixelSpacing: [0] between rows, [1] between columns (mm).
    var rowSpacingMM: Double
    var columnSpacingMM: Double
    var sliceThicknessMM: Double?
    var spacingBetweenSlicesMM: Double?
    var rescale: IntensityScale
    var echoNumber: Int?
    var echoTimeMS: Double?
    var imageType: String
    /// Keys that order repeated acquisitions of the same slice (4D): acquisition, temporal position, instance.
    var temporalKey: [Double]
    var pixelFormat: PixelFormat
    var mosaic: MosaicLayout?

    var sliceNormal: SIMD3<Double> {
        if let normal = mosaic?.sliceNormalLPS { return normal }
        let n = cross(rowDirection, columnDirection)
        let norm = length(n)
        return norm > 0 ? n / norm : SIMD3(0, 0, 1)
    }

    var isLocalizer: Bool {
        let upper = imageType.uppercased()
        return upper.contains("LOCALIZER") || upper.contains("SCOUT")
    }
}

/// Per-series facts kept for the sidecar and `info` (never the patient's name or ID).
struct SeriesFacts: Sendable {
    var seriesUID: String
    var studyUID: String?
    var seriesNumber: Int?
    var seriesDescription: String?
    var modality: String?
    var sidecar: [String: SidecarValue]
    var transferSyntaxUID: String?

    var key: String { seriesUID + "#" + (seriesNumber.map(String.init) ?? "") }
}

/// A JSON-encodable sidecar value.
public enum SidecarValue: Sendable, Equatable {
    case text(String)
    case number(Double)
    case texts([String])
}
