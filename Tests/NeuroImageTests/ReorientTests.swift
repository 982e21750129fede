import NeuroImage
import Testing

struct ReorientTests {
    @Test(arguments: [
        [[-1.0, 0, 0, 90], [0, -1, 0, 120], [0, 0, 1.2, -60]],
        [[-0.9, 0, 0, 91], [0, 0, 1.1, -126], [0, -1, 0, 72]],
        [[0, 0, -2, 10], [-1.5, 0.1, 0, 20], [0, 1.2, 0.05, -30]],
    ])
    func keepsEveryVoxelsWorldPositionAndValue(_ rows: [[Double]]) {
        let shape = VolumeShape(5, 4, 3, volumes: 2)
        let volume = Volume(shape: shape, affine: Affine(rows: rows), voxels: .int32((0..<Int32(shape.count)).map { $0 }))
        let ras = volume.reorientedToRAS()
        #expect(ras.affine.orientationCode == "RAS")
        #expect(ras.shape.count == shape.count)
        var positions: [[Int]: Double] = [:]
        for v in 0..<2 {
            for k in 0..<shape.k {
                for j in 0..<shape.j {
                    for i in 0..<shape.i {
                        let world = volume.affine.world(SIMD3(Double(i), Double(j), Double(k)))
                        positions[[Int((world.x * 1000).rounded()), Int((world.y * 1000).rounded()),
                                   Int((world.z * 1000).rounded()), v]] = volume.value(i: i, j: j, k: k, volume: v)
                    }
                }
            }
        }
        for v in 0..<2 {
            for k in 0..<ras.shape.k {
                for j in 0..<ras.shape.j {
                    for i in 0..<ras.shape.i {
                        let world = ras.affine.world(SIMD3(Double(i), Double(j), Double(k)))
                        let key = [Int((world.x * 1000).rounded()), Int((world.y * 1000).rounded()),
                                   Int((world.z * 1000).rounded()), v]
                        #expect(positions[key] == ras.value(i: i, j: j, k: k, volume: v))
                    }
                }
            }
        }
    }

    @Test func rasInputIsUnchanged() {
        let volume = Volume(shape: VolumeShape(3, 2, 2), affine: .diagonal(spacingMM: SIMD3(1, 2, 3), origin: SIMD3(4, 5, 6)),
                            voxels: .uint8((0..<12).map(UInt8.init)))
        let ras = volume.reorientedToRAS()
        #expect(ras.affine == volume.affine)
        #expect(ras.voxels == volume.voxels)
    }
}
