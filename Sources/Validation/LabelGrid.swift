import NeuroImage

/// A 3D label map on a regular grid: index = i + nx · (j + ny · k), spacing in mm along i, j, k.
public struct LabelGrid: Sendable {
    public let nx: Int, ny: Int, nz: Int
    public let spacingMM: SIMD3<Double>
    public var labels: [Int32]

    public init(nx: Int, ny: Int, nz: Int, spacingMM: SIMD3<Double>, labels: [Int32]) {
        precondition(labels.count == nx * ny * nz, "label count does not match the grid")
        self.nx = nx
        self.ny = ny
        self.nz = nz
        self.spacingMM = spacingMM
        self.labels = labels
    }

    /// The first volume of `volume`, values rounded to integer labels (scaling applied).
    public init(_ volume: Volume) {
        let count = volume.shape.voxelsPerVolume
        let scale = volume.scale
        let labels = (0..<count).map { Int32((scale.slope * volume.voxels.value(at: $0) + scale.intercept).rounded()) }
        self.init(nx: volume.shape.i, ny: volume.shape.j, nz: volume.shape.k, spacingMM: volume.spacingMM, labels: labels)
    }

    public var voxelVolumeML: Double { spacingMM.x * spacingMM.y * spacingMM.z / 1000 }

    func sameGrid(as other: LabelGrid) -> Bool {
        nx == other.nx && ny == other.ny && nz == other.nz
    }
}
