import NeuroImage
import Testing

struct AffineTests {
    let oblique = Affine(rows: [[0, 0, -2, 90], [-1.5, 0.1, 0, 120], [0, 1.2, 0.05, -60], [0, 0, 0, 1]])

    @Test func inverseUndoesTheMapping() throws {
        let inverse = try #require(oblique.inverse)
        for voxel in [SIMD3<Double>(0, 0, 0), SIMD3(10, -3, 7.5), SIMD3(255, 255, 127)] {
            let back = inverse.world(oblique.world(voxel))
            #expect(length(back - voxel) < 1e-9)
        }
    }

    @Test func singularAffineHasNoInverse() {
        #expect(Affine(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]).inverse == nil)
    }

    @Test(arguments: [
        ([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], "RAS"),
        ([[-1.0, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0]], "LPS"),
        ([[0.0, 0, -1, 0], [-1, 0, 0, 0], [0, 1, 0, 0]], "PSL"),
    ])
    func namesTheAxisEachIndexFollows(_ rows: [[Double]], _ code: String) {
        #expect(Affine(rows: rows).orientationCode == code)
    }

    @Test func spacingIsTheLengthOfEachVoxelStep() {
        let spacing = oblique.spacingMM
        #expect(abs(spacing.x - 1.5) < 1e-12)
        #expect(abs(spacing.y - (0.01 + 1.44).squareRoot()) < 1e-12)
        #expect(abs(spacing.z - (4 + 0.0025).squareRoot()) < 1e-12)
    }

    @Test func rowsRoundTrip() {
        #expect(Affine(rows: oblique.rows) == oblique)
    }
}
