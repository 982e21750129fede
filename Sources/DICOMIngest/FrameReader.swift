import Foundation
import NeuroImage

/// What one DICOM file holds for NeuroSpike.
enum FileContent {
    /// Image frames to be stacked into volumes, with the facts of their series.
    case images([ImageFrame], SeriesFacts)
    /// A DICOM object without pixel data (structured report, document, presentation state, DICOMDIR).
    case notAnImage
}

/// A problem with one input file, phrased for the user; `seriesUID` groups repeated problems of one series.
public struct InputFailure: Error, Sendable, CustomStringConvertible {
    public let file: URL
    public let problem: String
    public var seriesUID: String?
    public var seriesLabel: String?

    public init(file: URL, problem: String, seriesUID: String? = nil, seriesLabel: String? = nil) {
        self.file = file
        self.problem = problem
        self.seriesUID = seriesUID
        self.seriesLabel = seriesLabel
    }

    public var description: String { "\(file.path): \(problem)" }
}

/// Transfer syntaxes whose pixel data this build cannot decode, with the reason given to the user.
private let unsupportedTransferSyntaxes: [String: String] = {
    var table: [String: String] = [:]
    for uid in ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93"] {
        table[uid] = "JPEG 2000 is not supported (transfer syntax \(uid)); decompress the series with a JPEG 2000-capable tool first"
    }
    for uid in ["1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"] {
        table[uid] = "High-Throughput JPEG 2000 is not supported (transfer syntax \(uid))"
    }
    for uid in ["1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.102",
                "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.104", "1.2.840.10008.1.2.4.105",
                "1.2.840.10008.1.2.4.106", "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108"] {
        table[uid] = "video-encoded pixel data is not supported (transfer syntax \(uid))"
    }
    return table
}()

/// Turns an open DICOM file into image frames with their geometry, pixel format and series facts.
enum FrameReader {
    static func read(_ file: DICOMFile) throws(InputFailure) -> FileContent {
        let dataset = file.dataset
        guard dataset.has(.pixelData) else { return .notAnImage }
        let facts = seriesFacts(file)
        func failure(_ problem: String) -> InputFailure {
            InputFailure(file: file.url, problem: problem, seriesUID: facts.seriesUID, seriesLabel: label(facts))
        }
        if let syntax = facts.transferSyntaxUID, let reason = unsupportedTransferSyntaxes[syntax] {
            throw failure(reason)
        }
        let samples = dataset.integer(.samplesPerPixel) ?? 1
        guard samples == 1 else {
            throw failure("colour images (\(samples) samples per pixel, \(dataset.string(.photometricInterpretation) ?? "?")) are not supported; MR series are greyscale")
        }
        guard let rows = dataset.integer(.rows), let columns = dataset.integer(.columns), rows > 0, columns > 0 else {
            throw failure("missing or zero Rows/Columns (0028,0010)/(0028,0011)")
        }
        let format = try pixelFormat(dataset, failure: failure)
        let frameCount = max(1, dataset.integer(.numberOfFrames) ?? 1)
        let perFrame = dataset.sequence(.perFrameFunctionalGroupsSequence)
        let shared = dataset.item(.sharedFunctionalGroupsSequence)
        let imageType = dataset.string(.imageType) ?? ""
        let sopInstanceUID = dataset.string(.sopInstanceUID)
        let sopClassUID = dataset.string(.sopClassUID)
        let sopInstance = sopInstanceUID ?? file.url.path
        var frames: [ImageFrame] = []

        if !perFrame.isEmpty || shared != nil {
            guard perFrame.count == frameCount else {
                throw failure("enhanced multi-frame object has \(perFrame.count) per-frame groups for \(frameCount) frames")
            }
            for index in 0..<frameCount {
                let groups = FunctionalGroups(perFrame: perFrame[index], shared: shared)
                guard let position = groups.item(.planePositionSequence)?.numbers(.imagePositionPatient), position.count == 3 else {
                    throw failure("frame \(index + 1) has no ImagePositionPatient in its functional groups")
                }
                guard let orientation = groups.item(.planeOrientationSequence)?.numbers(.imageOrientationPatient)
                    ?? dataset.numbers(.imageOrientationPatient), orientation.count == 6 else {
                    throw failure("frame \(index + 1) has no ImageOrientationPatient in its functional groups")
                }
                let measures = groups.item(.pixelMeasuresSequence)
                guard let spacing = measures?.numbers(.pixelSpacing) ?? dataset.numbers(.pixelSpacing), spacing.count == 2 else {
                    throw failure("frame \(index + 1) has no PixelSpacing (0028,0030)")
                }
                let transform = groups.item(.pixelValueTransformationSequence)
                let frameTypeText = groups.item(.mrImageFrameTypeSequence)?.string(.frameType) ?? imageType
                let content = groups.item(.frameContentSequence)
                let echoTime = groups.item(.mrEchoSequence)?.number(.effectiveEchoTime) ?? dataset.number(.echoTime)
                frames.append(ImageFrame(
                    file: file.url, frameIndex: index, instanceKey: "\(sopInstance)#\(index)",
                    sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, isMultiFrame: true, seriesKey: facts.key,
                    rows: rows, columns: columns,
                    positionLPS: SIMD3(position[0], position[1], position[2]),
                    rowDirection: SIMD3(orientation[0], orientation[1], orientation[2]),
                    columnDirection: SIMD3(orientation[3], orientation[4], orientation[5]),
                    rowSpacingMM: spacing[0], columnSpacingMM: spacing[1],
                    sliceThicknessMM: measures?.number(.sliceThickness) ?? dataset.number(.sliceThickness),
                    spacingBetweenSlicesMM: measures?.number(.spacingBetweenSlices) ?? dataset.number(.spacingBetweenSlices),
                    rescale: rescale(transform ?? dataset),
                    echoNumber: dataset.integer(.echoNumbers), echoTimeMS: echoTime,
                    imageType: frameTypeText,
                    temporalKey: [content?.number(.temporalPositionIndex) ?? 0, Double(index)],
                    pixelFormat: format, mosaic: nil))
            }
        } else {
            guard frameCount == 1 || imageType.uppercased().contains("MOSAIC") == false else {
                throw failure("a mosaic must be a single frame")
            }
            guard frameCount == 1 else {
                throw failure("multi-frame image without per-frame geometry (\(frameCount) frames) is not supported")
            }
            guard let position = dataset.numbers(.imagePositionPatient), position.count == 3 else {
                throw failure("missing ImagePositionPatient (0020,0032)")
            }
            guard let orientation = dataset.numbers(.imageOrientationPatient), orientation.count == 6 else {
                throw failure("missing ImageOrientationPatient (0020,0037)")
            }
            guard let spacing = dataset.numbers(.pixelSpacing), spacing.count == 2 else {
                throw failure("missing PixelSpacing (0028,0030)")
            }
            var frame = ImageFrame(
                file: file.url, frameIndex: 0, instanceKey: sopInstance,
                sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, isMultiFrame: false, seriesKey: facts.key,
                rows: rows, columns: columns,
                positionLPS: SIMD3(position[0], position[1], position[2]),
                rowDirection: SIMD3(orientation[0], orientation[1], orientation[2]),
                columnDirection: SIMD3(orientation[3], orientation[4], orientation[5]),
                rowSpacingMM: spacing[0], columnSpacingMM: spacing[1],
                sliceThicknessMM: dataset.number(.sliceThickness),
                spacingBetweenSlicesMM: dataset.number(.spacingBetweenSlices),
                rescale: rescale(dataset),
                echoNumber: dataset.integer(.echoNumbers), echoTimeMS: dataset.number(.echoTime),
                imageType: imageType,
                temporalKey: [Double(dataset.integer(.acquisitionNumber) ?? 0),
                              Double(dataset.integer(.temporalPositionIdentifier) ?? 0),
                              Double(dataset.integer(.instanceNumber) ?? 0)],
                pixelFormat: format, mosaic: nil)
            if imageType.uppercased().contains("MOSAIC") {
                frame.mosaic = try mosaicLayout(dataset, rows: rows, columns: columns, failure: failure)
            }
            frames.append(frame)
        }
        for frame in frames {
            let normal = cross(frame.rowDirection, frame.columnDirection)
            guard abs(length(normal) - 1) < 0.01, abs(dot(frame.rowDirection, frame.columnDirection)) < 0.01 else {
                throw failure("ImageOrientationPatient is not two orthogonal unit vectors")
            }
            guard frame.rowSpacingMM > 0, frame.columnSpacingMM > 0 else {
                throw failure("PixelSpacing must be positive")
            }
        }
        return .images(frames, facts)
    }

    static func label(_ facts: SeriesFacts) -> String {
        [facts.seriesNumber.map(String.init), facts.seriesDescription].compactMap { $0 }.joined(separator: " ")
    }

    private static func pixelFormat(_ dataset: DICOMItem, failure: (String) -> InputFailure) throws(InputFailure) -> PixelFormat {
        guard let allocated = dataset.integer(.bitsAllocated), [8, 16, 32].contains(allocated) else {
            throw failure("unsupported BitsAllocated \(dataset.integer(.bitsAllocated).map(String.init) ?? "missing") (8, 16 or 32 expected)")
        }
        let stored = dataset.integer(.bitsStored) ?? allocated
        let high = dataset.integer(.highBit) ?? (stored - 1)
        guard stored >= 1, stored <= allocated, high >= stored - 1, high < allocated else {
            throw failure("inconsistent BitsStored \(stored) / HighBit \(high) for BitsAllocated \(allocated)")
        }
        return PixelFormat(bitsAllocated: allocated, bitsStored: stored, highBit: high,
                           isSigned: dataset.integer(.pixelRepresentation) == 1)
    }

    private static func rescale(_ item: DICOMItem) -> IntensityScale {
        let slope = item.number(.rescaleSlope) ?? 1
        return IntensityScale(slope: slope == 0 ? 1 : slope, intercept: item.number(.rescaleIntercept) ?? 0)
    }

    private static func mosaicLayout(_ dataset: DICOMItem, rows: Int, columns: Int,
                                     failure: (String) -> InputFailure) throws(InputFailure) -> MosaicLayout {
        let csa = dataset.bytes(.siemensCSAImageHeader).flatMap(SiemensCSAHeader.init)
        let count = dataset.integer(.siemensImagesInMosaic)
            ?? csa?.numbers("NumberOfImagesInMosaic").first.map { Int($0) }
        guard let count, count > 0 else {
            throw failure("Siemens mosaic without NumberOfImagesInMosaic (0019,100A or CSA header)")
        }
        let tilesPerRow = Int(Double(count).squareRoot().rounded(.up))
        guard rows % tilesPerRow == 0, columns % tilesPerRow == 0 else {
            throw failure("mosaic of \(rows)×\(columns) pixels cannot hold \(count) square tiles")
        }
        var normal: SIMD3<Double>?
        if let vector = csa?.numbers("SliceNormalVector"), vector.count == 3 {
            let v = SIMD3(vector[0], vector[1], vector[2])
            if length(v) > 0.5 { normal = v / length(v) }
        }
        return MosaicLayout(count: count, tilesPerRow: tilesPerRow, tileRows: rows / tilesPerRow,
                            tileColumns: columns / tilesPerRow, sliceNormalLPS: normal)
    }

    private static func seriesFacts(_ file: DICOMFile) -> SeriesFacts {
        let dataset = file.dataset
        let shared = dataset.item(.sharedFunctionalGroupsSequence)
        let firstFrame = FunctionalGroups(perFrame: dataset.sequence(.perFrameFunctionalGroupsSequence).first, shared: shared)
        let timing = firstFrame.item(.mrTimingAndRelatedParametersSequence)
        var sidecar: [String: SidecarValue] = [:]
        func text(_ key: String, _ tag: Tag) {
            if let value = dataset.string(tag) { sidecar[key] = .text(value) }
        }
        text("Modality", .modality)
        text("Manufacturer", .manufacturer)
        text("ManufacturersModelName", .manufacturerModelName)
        text("SeriesDescription", .seriesDescription)
        text("MRAcquisitionType", .mrAcquisitionType)
        text("PatientSex", .patientSex)
        if let strength = dataset.number(.magneticFieldStrength) { sidecar["MagneticFieldStrength"] = .number(strength) }
        if let tr = dataset.number(.repetitionTime) ?? timing?.number(.repetitionTime) {
            sidecar["RepetitionTime"] = .number(tr / 1000)
        }
        if let te = dataset.number(.echoTime) ?? firstFrame.item(.mrEchoSequence)?.number(.effectiveEchoTime) {
            sidecar["EchoTime"] = .number(te / 1000)
        }
        if let ti = dataset.number(.inversionTime) ?? firstFrame.item(Tag(0x0018, 0x9115))?.number(Tag(0x0018, 0x9079)) {
            sidecar["InversionTime"] = .number(ti / 1000)
        }
        if let flip = dataset.number(.flipAngle) ?? timing?.number(.flipAngle) { sidecar["FlipAngle"] = .number(flip) }
        if let number = dataset.integer(.seriesNumber) { sidecar["SeriesNumber"] = .number(Double(number)) }
        if let date = dataset.string(.acquisitionDate), date.count == 8, date.allSatisfy(\.isNumber) {
            sidecar["AcquisitionDate"] = .text("\(date.prefix(4))-\(date.dropFirst(4).prefix(2))-\(date.suffix(2))")
        }
        if let age = dataset.string(.patientAge).flatMap(ageInYears) { sidecar["PatientAge"] = .number(age) }
        let imageType = dataset.strings(.imageType)
        if !imageType.isEmpty { sidecar["ImageType"] = .texts(imageType) }
        return SeriesFacts(
            seriesUID: dataset.string(.seriesInstanceUID) ?? "no-series-uid:" + file.url.deletingLastPathComponent().path,
            studyUID: dataset.string(.studyInstanceUID),
            seriesNumber: dataset.integer(.seriesNumber),
            seriesDescription: dataset.string(.seriesDescription),
            modality: dataset.string(.modality),
            sidecar: sidecar,
            transferSyntaxUID: file.meta.string(.transferSyntaxUID))
    }

    /// DICOM age strings ("045Y", "006M", "010W", "003D") in years.
    static func ageInYears(_ text: String) -> Double? {
        guard text.count == 4, let number = Double(text.prefix(3)) else { return nil }
        switch text.last {
        case "Y": return number
        case "M": return number / 12
        case "W": return number * 7 / 365.25
        case "D": return number / 365.25
        default: return nil
        }
    }
}

/// The functional groups of one frame of an enhanced multi-frame object: per-frame first, then shared.
private struct FunctionalGroups {
    let perFrame: DICOMItem?
    let shared: DICOMItem?

    func item(_ sequence: Tag) -> DICOMItem? {
        perFrame?.item(sequence) ?? shared?.item(sequence)
    }
}
