/// Bad geometry in an input: the message says what is wrong.
public struct GeometryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A 3D voxel grid placed in RAS+ world space: the grid size and the voxel → world (mm) affine.
public struct VoxelGrid: Equatable, Sendable {
    /// Voxels along i, j, k (`volumes` is always 1).
    public var shape: VolumeShape
    public var affine: Affine

    public init(shape: VolumeShape, affine: Affine) {
        self.shape = VolumeShape(shape.i, shape.j, shape.k)
        self.affine = affine
    }

    /// Continuous voxel index in `source` of each voxel of this grid: `source⁻¹ ∘ self`.
    public func voxelMap(into source: VoxelGrid) throws -> Affine {
        guard let inverse = source.affine.inverse else {
            throw GeometryError("the source affine is singular (voxel size 0 or axes in one plane)")
        }
        return Affine(linear: inverse.linear.times(affine.linear), translation: inverse.world(affine.translation))
    }
}

extension Volume {
    /// The grid of this volume (one volume of a 4D series).
    public var grid: VoxelGrid { VoxelGrid(shape: shape, affine: affine) }
}

extension VoxelArray {
    /// A new array whose element `n` is `self[sourceVolumeBase + sources[n]]` for each volume, or 0 where
    /// `sources[n]` is negative. `sources` indexes one volume of `sourceVoxelsPerVolume` voxels; the output
    /// holds `volumes` blocks of `sources.count` elements.
    public func gathered(_ sources: [Int32], volumes: Int, sourceVoxelsPerVolume: Int) -> VoxelArray {
        func gather<T: Numeric>(_ values: [T]) -> [T] {
            var out = [T](repeating: 0, count: sources.count * volumes)
            for volume in 0..<volumes {
                let sourceBase = volume * sourceVoxelsPerVolume
                let outBase = volume * sources.count
                for (n, source) in sources.enumerated() where source >= 0 {
                    out[outBase + n] = values[sourceBase + Int(source)]
                }
            }
            return out
        }
        switch self {
        case .uint8(let v): return .uint8(gather(v))
        case .int16(let v): return .int16(gather(v))
        case .uint16(let v): return .uint16(gather(v))
        case .int32(let v): return .int32(gather(v))
        case .float32(let v): return .float32(gather(v))
        }
    }
}
