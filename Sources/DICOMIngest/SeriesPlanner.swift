import Foundation
import NeuroImage

/// Where one slice of the output comes from: a frame of a file, or a tile of a mosaic frame.
struct SliceSource: Sendable {
    var file: URL
    var frame: Int
    var tile: Int?
    var rescale: IntensityScale
    var sopClassUID: String?
    var sopInstanceUID: String?
    var isMultiFrame: Bool
    /// Centre of the slice's first pixel (LPS, mm).
    var positionLPS: SIMD3<Double>

    init(_ frame: ImageFrame, tile: Int? = nil, positionLPS: SIMD3<Double>? = nil) {
        file = frame.file
        self.frame = frame.frameIndex
        self.tile = tile
        rescale = frame.rescale
        sopClassUID = frame.sopClassUID
        sopInstanceUID = frame.sopInstanceUID
        isMultiFrame = frame.isMultiFrame
        self.positionLPS = positionLPS ?? frame.positionLPS
    }
}

/// The source image of one slice, as a derived object (a DICOM Segmentation) references it.
public struct SourceImage: Sendable {
    public let file: URL
    public let sopClassUID: String?
    public let sopInstanceUID: String?
    /// 1-based frame of an enhanced multi-frame object; nil for a single-frame image (a mosaic tile too).
    public let frameNumber: Int?
    /// ImagePositionPatient of the slice: centre of its first pixel, DICOM patient coordinates (LPS, mm).
    public let positionLPS: SIMD3<Double>
}

/// A series (or one part of a split series) laid out as a volume, ready to be decoded.
public struct SeriesPlan: Sendable {
    public let seriesUID: String
    public let seriesNumber: Int?
    public let seriesDescription: String?
    public let modality: String?
    /// `<SeriesNumber>_<SeriesDescription>` plus a suffix for split parts; not yet filesystem-safe.
    public let label: String
    public let shape: VolumeShape
    /// Voxel → RAS+ world (mm).
    public let affine: Affine
    public internal(set) var warnings: [String]
    public let isLocalizer: Bool
    public let fileCount: Int
    public let imageType: String
    /// SliceThickness of the first image (mm), when it has one.
    public let sliceThicknessMM: Double?
    let sidecar: [String: SidecarValue]
    /// Indexed `k + shape.k · volume`.
    let slices: [SliceSource]
    let pixelFormat: PixelFormat
    let frameRows: Int
    let frameColumns: Int
    let mosaic: MosaicLayout?

    /// The files that hold the series' pixels.
    public var files: [URL] { Array(Set(slices.map(\.file))).sorted { $0.path < $1.path } }

    /// The source image of each slice `k` of the first volume.
    public var sourceImages: [SourceImage] {
        slices.prefix(shape.k).map {
            SourceImage(file: $0.file, sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID,
                        frameNumber: $0.isMultiFrame ? $0.frame + 1 : nil, positionLPS: $0.positionLPS)
        }
    }

    /// True for a stack of at least 60 slices, or a 3D acquisition of at least 16.
    public var isVolumetric: Bool {
        if case .text(let type) = sidecar["MRAcquisitionType"], type.uppercased() == "3D", shape.k >= 16 { return true }
        return shape.k >= 60
    }
}

/// Groups frames into series, splits mixed series, orders slices along the normal and checks the grid.
enum SeriesPlanner {
    struct Options {
        var allowIrregular = false
    }

    static func plan(_ frames: [ImageFrame], facts: [String: SeriesFacts], options: Options) -> ([SeriesPlan], [InputFailure]) {
        var plans: [SeriesPlan] = []
        var failures: [InputFailure] = []
        let bySeries = Dictionary(grouping: frames, by: \.seriesKey)
        for (key, seriesFrames) in bySeries.sorted(by: { $0.key < $1.key }) {
            guard let seriesFacts = facts[key] else { continue }
            let parts = split(seriesFrames)
            for (index, part) in parts.enumerated() {
                let suffix = parts.count > 1 ? partSuffix(part, among: parts, index: index) : ""
                do {
                    plans.append(try stack(part, facts: seriesFacts, suffix: suffix, options: options))
                } catch let failure as InputFailure {
                    failures.append(failure)
                } catch {
                    failures.append(InputFailure(file: part[0].file, problem: "\(error)", seriesUID: seriesFacts.seriesUID))
                }
            }
        }
        plans.sort { ($0.seriesNumber ?? Int.max, $0.label) < ($1.seriesNumber ?? Int.max, $1.label) }
        return (plans, failures)
    }

    /// Frames of one series that cannot share a volume: other size, orientation, spacing, echo or image type.
    private struct PartKey: Hashable {
        var rows: Int, columns: Int
        var orientation: [Int]
        var spacing: [Int]
        var echo: Int
        var imageType: String
        var mosaicCount: Int
    }

    private static func key(_ frame: ImageFrame) -> PartKey {
        let orientation = [frame.rowDirection, frame.columnDirection].flatMap { [$0.x, $0.y, $0.z] }
        let echo = frame.echoTimeMS.flatMap { $0 > 0 ? Int(($0 * 100).rounded()) : nil } ?? (frame.echoNumber ?? 0)
        return PartKey(rows: frame.rows, columns: frame.columns,
                       orientation: orientation.map { Int(($0 * 1000).rounded()) },
                       spacing: [frame.rowSpacingMM, frame.columnSpacingMM].map { Int(($0 * 10000).rounded()) },
                       echo: echo, imageType: frame.imageType.uppercased(), mosaicCount: frame.mosaic?.count ?? 0)
    }

    private static func split(_ frames: [ImageFrame]) -> [[ImageFrame]] {
        let groups = Dictionary(grouping: frames, by: key)
        return groups.values.map { $0 }.sorted { a, b in
            let (ka, kb) = (key(a[0]), key(b[0]))
            if ka.echo != kb.echo { return ka.echo < kb.echo }
            if ka.imageType != kb.imageType { return ka.imageType < kb.imageType }
            return a.count > b.count
        }
    }

    /// Names what distinguishes a part: `_e2` for the second of several echoes, `_ph` for phase,
    /// `_fieldmap` for a field map. Parts still alike are told apart by `SafeName.unique` (`_2`, `_3`).
    private static func partSuffix(_ part: [ImageFrame], among parts: [[ImageFrame]], index: Int) -> String {
        let keys = parts.map { key($0[0]) }
        let mine = keys[index]
        var suffix = ""
        let echoes = Array(Set(keys.map(\.echo).filter { $0 > 0 })).sorted()
        if echoes.count > 1, let rank = echoes.firstIndex(of: mine.echo) { suffix += "_e\(rank + 1)" }
        let fields = mine.imageType.split(separator: "\\")
        if fields.contains("P") || fields.contains("PHASE") { suffix += "_ph" }
        if fields.contains("FIELD_MAP") || fields.contains("B0") { suffix += "_fieldmap" }
        return suffix
    }

    private static func stack(_ frames: [ImageFrame], facts: SeriesFacts, suffix: String, options: Options) throws -> SeriesPlan {
        let first = frames[0]
        let label = [facts.seriesNumber.map(String.init), facts.seriesDescription].compactMap { $0 }.joined(separator: "_") + suffix
        func failure(_ file: URL, _ problem: String) -> InputFailure {
            InputFailure(file: file, problem: problem, seriesUID: facts.seriesUID, seriesLabel: label)
        }
        let normal = first.sliceNormal
        var warnings: [String] = []

        var unique: [String: ImageFrame] = [:]
        var ordered: [ImageFrame] = []
        for frame in frames {
            if let earlier = unique[frame.instanceKey] {
                warnings.append("\(frame.file.lastPathComponent) repeats \(earlier.file.lastPathComponent) (same SOPInstanceUID); the copy is ignored")
                continue
            }
            unique[frame.instanceKey] = frame
            ordered.append(frame)
        }

        let slices: [SliceSource]
        let sliceCount: Int
        let volumeCount: Int
        let origin: SIMD3<Double>
        var sliceStep: SIMD3<Double>
        let columnStep = first.rowDirection * first.columnSpacingMM
        let rowStep = first.columnDirection * first.rowSpacingMM
        let nominalSpacing = first.spacingBetweenSlicesMM ?? first.sliceThicknessMM ?? 1

        if let mosaic = first.mosaic {
            let volumes = ordered.sorted { $0.temporalKey.lexicographicallyPrecedes($1.temporalKey) }
            sliceCount = mosaic.count
            volumeCount = volumes.count
            let shiftColumns = Double(first.columns - mosaic.tileColumns) / 2
            let shiftRows = Double(first.rows - mosaic.tileRows) / 2
            origin = first.positionLPS + columnStep * shiftColumns + rowStep * shiftRows
            sliceStep = normal * nominalSpacing
            slices = volumes.flatMap { frame in
                (0..<mosaic.count).map { SliceSource(frame, tile: $0, positionLPS: origin + sliceStep * Double($0)) }
            }
        } else {
            let sorted = ordered.sorted {
                let (da, db) = (dot($0.positionLPS, normal), dot($1.positionLPS, normal))
                if abs(da - db) > 1e-3 { return da < db }
                return $0.temporalKey.lexicographicallyPrecedes($1.temporalKey)
            }
            var positions: [[ImageFrame]] = []
            for frame in sorted {
                if let last = positions.last?.first, abs(dot(last.positionLPS - frame.positionLPS, normal)) < 1e-3 {
                    positions[positions.count - 1].append(frame)
                } else {
                    positions.append([frame])
                }
            }
            let counts = Dictionary(grouping: positions.map(\.count), by: { $0 }).mapValues(\.count)
            let perPosition = counts.max { ($0.value, $0.key) < ($1.value, $1.key) }!.key
            if let odd = positions.first(where: { $0.count != perPosition }) {
                let where_ = String(format: "%.2f mm along the slice normal", dot(odd[0].positionLPS, normal))
                if perPosition == 1 {
                    throw failure(odd[1].file, "two different images at the same slice position (\(where_)): \(odd[0].file.lastPathComponent) and \(odd[1].file.lastPathComponent)")
                }
                throw failure(odd[0].file, "slice position \(where_) has \(odd.count) images where the others have \(perPosition): a volume of this 4D series is incomplete")
            }
            sliceCount = positions.count
            volumeCount = perPosition
            origin = positions[0][0].positionLPS
            sliceStep = normal * nominalSpacing
            if sliceCount > 1 {
                let distances = positions.map { dot($0[0].positionLPS, normal) }
                let steps = zip(distances.dropFirst(), distances).map { $0 - $1 }
                let median = steps.sorted()[steps.count / 2]
                let tolerance = max(0.05, 0.05 * median)
                var regular = true
                for (index, step) in steps.enumerated() where abs(step - median) > tolerance {
                    regular = false
                    let before = positions[index][0].file.lastPathComponent
                    let after = positions[index + 1][0].file.lastPathComponent
                    let ratio = step / median
                    let detail: String
                    if ratio > 1.5, abs(ratio - ratio.rounded()) < 0.1 {
                        let missing = Int(ratio.rounded()) - 1
                        detail = "\(missing) slice\(missing == 1 ? "" : "s") missing between \(before) and \(after) (gap \(String(format: "%.2f", step)) mm, spacing \(String(format: "%.2f", median)) mm)"
                    } else {
                        detail = "irregular slice spacing between \(before) and \(after): \(String(format: "%.3f", step)) mm where the series has \(String(format: "%.3f", median)) mm"
                    }
                    if !options.allowIrregular {
                        throw failure(positions[index + 1][0].file, detail + "; use --allow-irregular to write it on a regular grid anyway")
                    }
                    warnings.append(detail + "; written on a regular \(String(format: "%.3f", median)) mm grid (geometry approximate)")
                    break
                }
                sliceStep = regular
                    ? (positions[sliceCount - 1][0].positionLPS - origin) / Double(sliceCount - 1)
                    : normal * median
            }
            var sources = [SliceSource](repeating: SliceSource(first), count: sliceCount * volumeCount)
            for (k, images) in positions.enumerated() {
                for (volume, frame) in images.enumerated() {
                    sources[k + sliceCount * volume] = SliceSource(frame)
                }
            }
            slices = sources
        }

        let lps = Affine(linear: Matrix3(columns: columnStep, rowStep, sliceStep), translation: origin)
        let flip = SIMD3<Double>(-1, -1, 1)
        let ras = Affine(linear: Matrix3(columns: lps.linear.columns.0 * flip, lps.linear.columns.1 * flip, lps.linear.columns.2 * flip),
                         translation: lps.translation * flip)
        let shape = VolumeShape(first.mosaic?.tileColumns ?? first.columns, first.mosaic?.tileRows ?? first.rows,
                                sliceCount, volumes: volumeCount)
        return SeriesPlan(
            seriesUID: facts.seriesUID, seriesNumber: facts.seriesNumber, seriesDescription: facts.seriesDescription,
            modality: facts.modality, label: label, shape: shape, affine: ras, warnings: warnings,
            isLocalizer: first.isLocalizer, fileCount: Set(ordered.map(\.file)).count, imageType: first.imageType,
            sliceThicknessMM: first.sliceThicknessMM, sidecar: facts.sidecar, slices: slices, pixelFormat: first.pixelFormat,
            frameRows: first.rows, frameColumns: first.columns, mosaic: first.mosaic)
    }
}
