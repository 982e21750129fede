import Foundation
import NeuroImage
import Segmentation

/// PNG outputs: one indexed label image per slice, and QC montages of the input with labels overlaid.
enum Pictures {
    /// Palette entry `label` holds that aseg label's FreeSurfer colour (others black), so a mask PNG's pixel
    /// value is the label itself.
    static let palette: [SIMD3<UInt8>] = {
        var colours = [SIMD3<UInt8>](repeating: SIMD3(0, 0, 0), count: 256)
        for structure in LabelSet.structures where structure.asegLabel < 256 { colours[structure.asegLabel] = structure.colour }
        return colours
    }()

    /// `masks/slice_NNNN.png` for each k of the label map (rows along j, columns along i).
    static func writeMasks(_ labels: Volume, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (ni, nj) = (labels.shape.i, labels.shape.j)
        for k in 0..<labels.shape.k {
            var pixels = [UInt8](repeating: 0, count: ni * nj)
            for j in 0..<nj {
                for i in 0..<ni { pixels[i + ni * j] = UInt8(clamping: Int(labels.value(i: i, j: j, k: k))) }
            }
            try PNG.writeIndexed(width: ni, height: nj, pixels: pixels, palette: palette,
                                 to: folder.appendingPathComponent(String(format: "slice_%04d.png", k + 1)))
        }
    }

    enum View: String, CaseIterable { case axial, coronal, sagittal }

    /// A 4 × 3 montage of slices through the labelled region of a RAS volume (radiological display: the
    /// patient's right on the image's left; anterior or superior at the top), labels blended at 45 %.
    static func writeOverlay(image: Volume, labels: Volume, view: View, to url: URL) throws {
        let shape = image.shape
        var low = SIMD3(shape.i, shape.j, shape.k), high = SIMD3(0, 0, 0)
        for k in 0..<shape.k {
            for j in 0..<shape.j {
                for i in 0..<shape.i where labels.value(i: i, j: j, k: k) != 0 {
                    low = pointwiseMin(low, SIMD3(i, j, k))
                    high = pointwiseMax(high, SIMD3(i, j, k))
                }
            }
        }
        if high.x < low.x { (low, high) = (SIMD3(0, 0, 0), SIMD3(shape.i - 1, shape.j - 1, shape.k - 1)) }
        let (columns, rows, tiles) = (4, 3, 12)
        // (slice axis, horizontal axis, vertical axis) and the tile size in voxels.
        let axes: (Int, Int, Int)
        switch view {
        case .axial: axes = (2, 0, 1)
        case .coronal: axes = (1, 0, 2)
        case .sagittal: axes = (0, 1, 2)
        }
        let extents = [shape.i, shape.j, shape.k]
        let width = extents[axes.1], height = extents[axes.2]
        var rgb = [UInt8](repeating: 0, count: columns * width * rows * height * 3)
        for tile in 0..<tiles {
            let position = Double(tile + 1) / Double(tiles + 1)
            let slice = low[axes.0] + Int(position * Double(high[axes.0] - low[axes.0]))
            let originX = (tile % columns) * width, originY = (tile / columns) * height
            for v in 0..<height {
                for u in 0..<width {
                    var voxel = SIMD3(0, 0, 0)
                    voxel[axes.0] = slice
                    voxel[axes.1] = width - 1 - u
                    voxel[axes.2] = height - 1 - v
                    let grey = Float(min(max(image.value(i: voxel.x, j: voxel.y, k: voxel.z), 0), 1)) * 255
                    var colour = SIMD3<Float>(repeating: grey)
                    let label = Int(labels.value(i: voxel.x, j: voxel.y, k: voxel.z))
                    if label > 0 && label < 256 {
                        let c = palette[label]
                        colour = colour * 0.55 + SIMD3(Float(c.x), Float(c.y), Float(c.z)) * 0.45
                    }
                    let offset = ((originY + v) * columns * width + originX + u) * 3
                    rgb[offset] = UInt8(colour.x)
                    rgb[offset + 1] = UInt8(colour.y)
                    rgb[offset + 2] = UInt8(colour.z)
                }
            }
        }
        try PNG.writeRGB(width: columns * width, height: rows * height, rgb: rgb, to: url)
    }
}
