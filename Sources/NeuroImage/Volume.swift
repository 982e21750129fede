/// Voxel values as stored: the type decides the NIfTI datatype on output.
public enum VoxelArray: Sendable, Equatable {
    case uint8([UInt8])
    case int16([Int16])
    case uint16([UInt16])
    case int32([Int32])
    case float32([Float])

    public var count: Int {
        switch self {
        case .uint8(let v): return v.count
        case .int16(let v): return v.count
        case .uint16(let v): return v.count
        case .int32(let v): return v.count
        case .float32(let v): return v.count
        }
    }

    public var bytesPerVoxel: Int {
        switch self {
        case .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .float32: return 4
        }
    }

    /// The stored values as Float (no scaling).
    public func floats() -> [Float] {
        switch self {
        case .uint8(let v): return v.map(Float.init)
        case .int16(let v): return v.map(Float.init)
        case .uint16(let v): return v.map(Float.init)
        case .int32(let v): return v.map(Float.init)
        case .float32(let v): return v
        }
    }

    public func value(at index: Int) -> Double {
        switch self {
        case .uint8(let v): return Double(v[index])
        case .int16(let v): return Double(v[index])
        case .uint16(let v): return Double(v[index])
        case .int32(let v): return Double(v[index])
        case .float32(let v): return Double(v[index])
        }
    }
}

/// A linear intensity map applied to stored values: `real = slope · stored + intercept`.
public struct IntensityScale: Equatable, Sendable {
    public var slope: Double
    public var intercept: Double

    public init(slope: Double, intercept: Double) {
        self.slope = slope
        self.intercept = intercept
    }

    public static let identity = IntensityScale(slope: 1, intercept: 0)
    public var isIdentity: Bool { slope == 1 && intercept == 0 }
}

/// Grid size: `i` fastest, then `j`, `k`, and `volumes` (the 4th dimension, time or repeats).
public struct VolumeShape: Equatable, Sendable, CustomStringConvertible {
    public var i: Int, j: Int, k: Int, volumes: Int

    public init(_ i: Int, _ j: Int, _ k: Int, volumes: Int = 1) {
        precondition(i > 0 && j > 0 && k > 0 && volumes > 0, "every dimension must be positive")
        self.i = i
        self.j = j
        self.k = k
        self.volumes = volumes
    }

    public var voxelsPerVolume: Int { i * j * k }
    public var count: Int { voxelsPerVolume * volumes }
    public var description: String { volumes > 1 ? "\(i)×\(j)×\(k)×\(volumes)" : "\(i)×\(j)×\(k)" }
}

/// An image on a voxel grid placed in RAS+ world space (mm).
///
/// Layout: index = i + shape.i · (j + shape.j · (k + shape.k · volume)), as in NIfTI.
public struct Volume: Sendable {
    public var shape: VolumeShape
    public var affine: Affine
    public var voxels: VoxelArray
    public var scale: IntensityScale
    /// Seconds between volumes of a 4D series, 0 when unknown.
    public var repetitionTimeS: Double

    public init(shape: VolumeShape, affine: Affine, voxels: VoxelArray, scale: IntensityScale = .identity,
                repetitionTimeS: Double = 0) {
        precondition(voxels.count == shape.count, "voxel count \(voxels.count) does not match shape \(shape)")
        self.shape = shape
        self.affine = affine
        self.voxels = voxels
        self.scale = scale
        self.repetitionTimeS = repetitionTimeS
    }

    public var spacingMM: SIMD3<Double> { affine.spacingMM }

    /// Real (scaled) intensity of one voxel.
    public func value(i: Int, j: Int, k: Int, volume: Int = 0) -> Double {
        let index = i + shape.i * (j + shape.j * (k + shape.k * volume))
        return scale.slope * voxels.value(at: index) + scale.intercept
    }
}
