/// A 3×3 matrix of doubles stored by columns.
public struct Matrix3: Equatable, Sendable {
    public var columns: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>)

    public init(columns c0: SIMD3<Double>, _ c1: SIMD3<Double>, _ c2: SIMD3<Double>) {
        columns = (c0, c1, c2)
    }

    public static func == (a: Matrix3, b: Matrix3) -> Bool {
        a.columns.0 == b.columns.0 && a.columns.1 == b.columns.1 && a.columns.2 == b.columns.2
    }

    public subscript(column: Int) -> SIMD3<Double> {
        switch column {
        case 0: return columns.0
        case 1: return columns.1
        default:
            precondition(column == 2, "Matrix3 has three columns")
            return columns.2
        }
    }

    public func times(_ v: SIMD3<Double>) -> SIMD3<Double> {
        columns.0 * v.x + columns.1 * v.y + columns.2 * v.z
    }

    public func times(_ other: Matrix3) -> Matrix3 {
        Matrix3(columns: times(other.columns.0), times(other.columns.1), times(other.columns.2))
    }

    public var determinant: Double { dot(columns.0, cross(columns.1, columns.2)) }

    /// The inverse; nil when the matrix is singular.
    public var inverse: Matrix3? {
        let det = determinant
        guard abs(det) > 1e-12 else { return nil }
        let r0 = cross(columns.1, columns.2) / det
        let r1 = cross(columns.2, columns.0) / det
        let r2 = cross(columns.0, columns.1) / det
        // r0, r1, r2 are the rows of the inverse.
        return Matrix3(columns: SIMD3(r0.x, r1.x, r2.x), SIMD3(r0.y, r1.y, r2.y), SIMD3(r0.z, r1.z, r2.z))
    }
}

public func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }

public func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

public func length(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }

/// Voxel index (i, j, k) → world position in millimetres: `world = linear · voxel + translation`.
///
/// World space is RAS+ as in NIfTI: +x towards the patient's Right, +y Anterior, +z Superior.
public struct Affine: Equatable, Sendable {
    /// Columns are the world steps (mm) of one voxel along i, j and k.
    public var linear: Matrix3
    /// World position (mm) of the centre of voxel (0, 0, 0).
    public var translation: SIMD3<Double>

    public init(linear: Matrix3, translation: SIMD3<Double>) {
        self.linear = linear
        self.translation = translation
    }

    /// Builds an affine from a row-major 4×4 matrix (the last row is ignored).
    public init(rows: [[Double]]) {
        precondition(rows.count >= 3 && rows.allSatisfy { $0.count >= 4 }, "an affine needs 3 rows of 4 values")
        linear = Matrix3(columns: SIMD3(rows[0][0], rows[1][0], rows[2][0]),
                         SIMD3(rows[0][1], rows[1][1], rows[2][1]),
                         SIMD3(rows[0][2], rows[1][2], rows[2][2]))
        translation = SIMD3(rows[0][3], rows[1][3], rows[2][3])
    }

    /// Row-major 4×4 matrix.
    public var rows: [[Double]] {
        (0..<3).map { row in
            [linear.columns.0[row], linear.columns.1[row], linear.columns.2[row], translation[row]]
        } + [[0, 0, 0, 1]]
    }

    public static func diagonal(spacingMM: SIMD3<Double>, origin: SIMD3<Double> = .zero) -> Affine {
        Affine(linear: Matrix3(columns: SIMD3(spacingMM.x, 0, 0), SIMD3(0, spacingMM.y, 0), SIMD3(0, 0, spacingMM.z)),
               translation: origin)
    }

    public func world(_ voxel: SIMD3<Double>) -> SIMD3<Double> { linear.times(voxel) + translation }

    /// World → continuous voxel index; nil when the affine is singular.
    public var inverse: Affine? {
        guard let inverseLinear = linear.inverse else { return nil }
        return Affine(linear: inverseLinear, translation: -inverseLinear.times(translation))
    }

    /// Voxel size along i, j, k in mm.
    public var spacingMM: SIMD3<Double> {
        SIMD3(length(linear.columns.0), length(linear.columns.1), length(linear.columns.2))
    }

    /// The nearest axis code of each voxel axis, e.g. "RAS" or "LPI" (the letter names the direction the
    /// index grows towards).
    public var orientationCode: String {
        let letters: [(positive: Character, negative: Character)] = [("R", "L"), ("A", "P"), ("S", "I")]
        return String((0..<3).map { axis -> Character in
            let direction = linear[axis]
            let dominant = (0..<3).max { abs(direction[$0]) < abs(direction[$1]) } ?? 0
            return direction[dominant] >= 0 ? letters[dominant].positive : letters[dominant].negative
        })
    }
}
