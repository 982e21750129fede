import NeuroImage
import Testing

struct ConformTests {
    /// An LIA 1.2 × 1 × 1.5 mm volume holding a bright ellipsoid "head" with a darker core on a dim,
    /// noisy background; the intensity is a function of the world position.
    static func head() -> Volume {
        let affine = Affine(rows: [[-1.2, 0, 0, 48], [0, 0, 1, -40], [0, -1.5, 0, 45]])
        let shape = VolumeShape(80, 64, 80)
        var values = [Float](repeating: 0, count: shape.count)
        var n = 0
        for k in 0..<shape.k {
            for j in 0..<shape.j {
                for i in 0..<shape.i {
                    values[n] = intensity(at: affine.world(SIMD3(Double(i), Double(j), Double(k))), noise: (n * 7919) % 13)
                    n += 1
                }
            }
        }
        return Volume(shape: shape, affine: affine, voxels: .float32(values))
    }

    static func intensity(at world: SIMD3<Double>, noise: Int) -> Float {
        let r = length(world / SIMD3(30, 36, 28))
        if r < 0.5 { return 300 }
        if r < 1 { return 800 }
        return Float(noise)
    }

    @Test func givesOneMillimetreRASWhoseWorldMatches() throws {
        let input = Self.head()
        let conformed = try Conform.conform(input)
        let volume = conformed.volume
        #expect(volume.affine.orientationCode == "RAS")
        #expect(volume.spacingMM == SIMD3(1, 1, 1))
        #expect(conformed.nativeGrid == input.grid)
        // The crop keeps the whole head (radius 30/36/28 mm) with the margin, and little else.
        // The crop keeps the head (60 × 72 × 56 mm) and an 8 mm margin, within the field of view (80 mm along y).
        #expect(volume.shape == VolumeShape(76, 80, 72))
        let values = volume.voxels.floats()
        #expect(values.allSatisfy { (0...1).contains($0) })
        var checked = 0
        for k in stride(from: 0, to: volume.shape.k, by: 5) {
            for j in stride(from: 0, to: volume.shape.j, by: 5) {
                for i in stride(from: 0, to: volume.shape.i, by: 5) {
                    let world = volume.affine.world(SIMD3(Double(i), Double(j), Double(k)))
                    let r = length(world / SIMD3(30, 36, 28))
                    let value = volume.value(i: i, j: j, k: k)
                    if r < 0.45 { #expect(abs(value - (300 - conformed.intensityLow) / (conformed.intensityHigh - conformed.intensityLow)) < 1e-3) }
                    if r > 0.55 && r < 0.95 { #expect(value == 1) }
                    if r > 1.1 { #expect(value < 0.02) }
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test func cropIsClampedToTheMaximumShape() throws {
        var options = ConformOptions()
        options.maximumShape = SIMD3(30, 50, 60)
        options.voxelMM = 2
        let volume = try Conform.conform(Self.head(), options: options).volume
        #expect(volume.shape == VolumeShape(30, 40, 36))
        #expect(volume.spacingMM == SIMD3(2, 2, 2))
        let centre = volume.affine.world(SIMD3(Double(volume.shape.i - 1), Double(volume.shape.j - 1), Double(volume.shape.k - 1)) / 2)
        #expect(length(centre) < 3)
    }

    @Test func constantImageThrows() {
        let flat = Volume(shape: VolumeShape(8, 8, 8), affine: .diagonal(spacingMM: SIMD3(1, 1, 1)),
                          voxels: .uint8(Array(repeating: 5, count: 512)))
        #expect(throws: GeometryError.self) { try Conform.conform(flat) }
    }
}
