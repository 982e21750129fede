/// Settings of `Conform.conform`.
public struct ConformOptions: Sendable, Equatable {
    /// Output voxel size (mm, isotropic).
    public var voxelMM: Double = 1
    /// Head mask threshold as a fraction of the 99th intensity percentile.
    public var foregroundFraction: Double = 0.1
    /// Margin kept around the head's bounding box (mm).
    public var marginMM: Double = 8
    /// Largest output size (voxels along i, j, k); a larger head box is cut around its centre.
    public var maximumShape: SIMD3<Int> = SIMD3(256, 256, 256)
    /// Intensity percentiles (0…100) mapped to 0 and 1.
    public var lowPercentile: Double = 0.5
    public var highPercentile: Double = 99.5

    public init() {}
}

/// A conformed image and what is needed to map results back to the scan's own grid.
public struct ConformedVolume: Sendable {
    /// Float32 intensities in 0…1 on an RAS grid of `voxelMM` isotropic voxels, cropped around the head.
    /// Its affine places it in the same world (RAS+ mm) as the input.
    public var volume: Volume
    /// The input's grid: `Resample.nearest(labels, onto: nativeGrid)` brings a label map back.
    public var nativeGrid: VoxelGrid
    /// The input intensities (scaled) mapped to 0 and 1.
    public var intensityLow: Double
    public var intensityHigh: Double
}

/// The conform step shared by training and inference.
public enum Conform {
    /// Conforms the first volume of `volume`:
    /// 1. reorients to RAS by permuting and flipping axes (exact, no interpolation);
    /// 2. resamples trilinearly onto an axis-aligned RAS grid of `voxelMM` voxels covering the input's
    ///    field of view (skipped when the reoriented grid already is one);
    /// 3. crops to the bounding box of the voxels above `foregroundFraction` × the 99th percentile, widened
    ///    by `marginMM` on each side and cut to at most `maximumShape` around the box's centre;
    /// 4. maps the `lowPercentile`…`highPercentile` intensities of the crop linearly to 0…1 and clips.
    /// Throws for a singular affine or an image without contrast.
    public static func conform(_ volume: Volume, options: ConformOptions = ConformOptions()) throws -> ConformedVolume {
        precondition(options.voxelMM > 0 && options.maximumShape.min() > 0, "conform needs positive sizes")
        let first = volume.shape.volumes == 1 ? volume : firstVolume(of: volume)
        let ras = first.reorientedToRAS()
        let target = isotropicGrid(covering: ras.grid, voxelMM: options.voxelMM)
        let resampled = target == ras.grid ? ras.asFloat32() : try Resample.trilinear(ras, onto: target)
        guard case .float32(let values) = resampled.voxels else { preconditionFailure("resampling gives float32") }

        let box = headBox(values, shape: resampled.shape, options: options)
        let cropped = crop(values, shape: resampled.shape, box: box)
        let bounds = Percentiles.of(cropped, [options.lowPercentile, options.highPercentile])
        guard bounds[1] > bounds[0] else {
            throw GeometryError("the image has no contrast (the \(options.lowPercentile)th and \(options.highPercentile)th percentiles are equal)")
        }
        let low = Float(bounds[0]), range = Float(bounds[1] - bounds[0])
        let normalised = cropped.map { min(max(($0 - low) / range, 0), 1) }
        let shape = VolumeShape(box.upper.x - box.lower.x, box.upper.y - box.lower.y, box.upper.z - box.lower.z)
        let affine = Affine(linear: target.affine.linear,
                            translation: target.affine.world(SIMD3(Double(box.lower.x), Double(box.lower.y), Double(box.lower.z))))
        return ConformedVolume(volume: Volume(shape: shape, affine: affine, voxels: .float32(normalised)),
                               nativeGrid: volume.grid, intensityLow: bounds[0], intensityHigh: bounds[1])
    }

    /// The axis-aligned RAS grid of `voxelMM` voxels whose first voxel sits at the lowest corner voxel centre
    /// of `grid` and that reaches its highest one: the same grid when `grid` already is such a grid.
    static func isotropicGrid(covering grid: VoxelGrid, voxelMM: Double) -> VoxelGrid {
        let last = SIMD3(Double(grid.shape.i - 1), Double(grid.shape.j - 1), Double(grid.shape.k - 1))
        var low = SIMD3(repeating: Double.infinity), high = SIMD3(repeating: -Double.infinity)
        for corner in 0..<8 {
            let voxel = SIMD3(corner & 1 == 0 ? 0 : last.x, corner & 2 == 0 ? 0 : last.y, corner & 4 == 0 ? 0 : last.z)
            let world = grid.affine.world(voxel)
            low = pointwiseMin(low, world)
            high = pointwiseMax(high, world)
        }
        let counts = ((high - low) / voxelMM + 1e-6).rounded(.down) + 1
        return VoxelGrid(shape: VolumeShape(Int(counts.x), Int(counts.y), Int(counts.z)),
                         affine: .diagonal(spacingMM: SIMD3(repeating: voxelMM), origin: low))
    }

    /// Voxel box `lower..<upper` of the head: foreground bounding box plus margin, cut to the maximum shape.
    static func headBox(_ values: [Float], shape: VolumeShape, options: ConformOptions) -> (lower: SIMD3<Int>, upper: SIMD3<Int>) {
        let threshold = Float(options.foregroundFraction * Percentiles.of(values, [99])[0])
        let size = SIMD3(shape.i, shape.j, shape.k)
        var lower = size, upper = SIMD3<Int>(repeating: -1)
        var n = 0
        for k in 0..<shape.k {
            for j in 0..<shape.j {
                for i in 0..<shape.i {
                    if values[n] > threshold {
                        lower = pointwiseMin(lower, SIMD3(i, j, k))
                        upper = pointwiseMax(upper, SIMD3(i, j, k))
                    }
                    n += 1
                }
            }
        }
        guard upper.x >= 0 else { return (.zero, pointwiseMin(size, options.maximumShape)) }
        let margin = Int((options.marginMM / options.voxelMM).rounded(.up))
        lower = pointwiseMax(lower &- margin, .zero)
        upper = pointwiseMin(upper &+ (margin + 1), size)
        for axis in 0..<3 where upper[axis] - lower[axis] > options.maximumShape[axis] {
            let excess = upper[axis] - lower[axis] - options.maximumShape[axis]
            lower[axis] += excess / 2
            upper[axis] = lower[axis] + options.maximumShape[axis]
        }
        return (lower, upper)
    }

    private static func crop(_ values: [Float], shape: VolumeShape, box: (lower: SIMD3<Int>, upper: SIMD3<Int>)) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity((box.upper &- box.lower).wrappedSum())
        for k in box.lower.z..<box.upper.z {
            for j in box.lower.y..<box.upper.y {
                let row = shape.i * (j + shape.j * k)
                out.append(contentsOf: values[(row + box.lower.x)..<(row + box.upper.x)])
            }
        }
        return out
    }

    private static func firstVolume(of volume: Volume) -> Volume {
        let count = volume.shape.voxelsPerVolume
        let first = volume.voxels.gathered((0..<count).map { Int32($0) }, volumes: 1, sourceVoxelsPerVolume: count)
        return Volume(shape: VolumeShape(volume.shape.i, volume.shape.j, volume.shape.k), affine: volume.affine,
                      voxels: first, scale: volume.scale)
    }
}

extension Volume {
    /// Real (scaled) intensities as float32 voxels with identity scale.
    public func asFloat32() -> Volume {
        let slope = Float(scale.slope), intercept = Float(scale.intercept)
        let values = scale.isIdentity ? voxels.floats() : voxels.floats().map { slope * $0 + intercept }
        return Volume(shape: shape, affine: affine, voxels: .float32(values), repetitionTimeS: repetitionTimeS)
    }
}
