/// Resampling onto another voxel grid: each output voxel takes the source's value at the same world
/// position (RAS+ mm), found through both affines.
public enum Resample {
    /// Trilinear interpolation of the real (scaled) intensities. Output voxels whose position lies outside
    /// the box spanned by the source's voxel centres get `outside`. Result: float32 voxels, identity scale,
    /// as many volumes as the source.
    public static func trilinear(_ volume: Volume, onto grid: VoxelGrid, outside: Float = 0) throws -> Volume {
        let map = try grid.voxelMap(into: volume.grid)
        let source = volume.voxels.floats()
        let slope = Float(volume.scale.slope), intercept = Float(volume.scale.intercept)
        let (ni, nj, nk) = (volume.shape.i, volume.shape.j, volume.shape.k)
        let sourcePerVolume = volume.shape.voxelsPerVolume
        let outPerVolume = grid.shape.voxelsPerVolume
        let volumes = volume.shape.volumes
        let values = source.withUnsafeBufferPointer { source in
            Parallel.makeArray(count: outPerVolume * volumes, repeating: outside, chunks: grid.shape.k * volumes) { chunk, out in
                let (volumeIndex, k) = chunk.quotientAndRemainder(dividingBy: grid.shape.k)
                let sourceBase = volumeIndex * sourcePerVolume
                for j in 0..<grid.shape.j {
                    let row = map.world(SIMD3(0, Double(j), Double(k)))
                    let outBase = volumeIndex * outPerVolume + grid.shape.i * (j + grid.shape.j * k)
                    for i in 0..<grid.shape.i {
                        let p = row + map.linear.columns.0 * Double(i)
                        guard let x = Axis(p.x, ni), let y = Axis(p.y, nj), let z = Axis(p.z, nk) else { continue }
                        let base = sourceBase + x.index + ni * (y.index + nj * z.index)
                        let dx = x.fraction > 0 ? 1 : 0, dy = y.fraction > 0 ? ni : 0, dz = z.fraction > 0 ? ni * nj : 0
                        let near = lerp(lerp(source[base], source[base + dx], x.fraction),
                                        lerp(source[base + dy], source[base + dy + dx], x.fraction), y.fraction)
                        let far = lerp(lerp(source[base + dz], source[base + dz + dx], x.fraction),
                                       lerp(source[base + dz + dy], source[base + dz + dy + dx], x.fraction), y.fraction)
                        let sum = lerp(near, far, z.fraction)
                        out[outBase + i] = slope * sum + intercept
                    }
                }
            }
        }
        return Volume(shape: VolumeShape(grid.shape.i, grid.shape.j, grid.shape.k, volumes: volumes),
                      affine: grid.affine, voxels: .float32(values), repetitionTimeS: volume.repetitionTimeS)
    }

    /// Nearest-neighbour resampling: each output voxel takes the value of the source voxel whose centre is
    /// nearest (labels stay labels); outside the source's voxels it gets 0. Keeps voxel type and scale.
    public static func nearest(_ volume: Volume, onto grid: VoxelGrid) throws -> Volume {
        let map = try grid.voxelMap(into: volume.grid)
        let (ni, nj, nk) = (volume.shape.i, volume.shape.j, volume.shape.k)
        let sources = Parallel.makeArray(count: grid.shape.voxelsPerVolume, repeating: Int32(-1), chunks: grid.shape.k) { k, out in
            for j in 0..<grid.shape.j {
                let row = map.world(SIMD3(0, Double(j), Double(k)))
                let outBase = grid.shape.i * (j + grid.shape.j * k)
                for i in 0..<grid.shape.i {
                    let p = (row + map.linear.columns.0 * Double(i)).rounded(.toNearestOrEven)
                    guard p.x >= 0, p.y >= 0, p.z >= 0, p.x < Double(ni), p.y < Double(nj), p.z < Double(nk) else { continue }
                    out[outBase + i] = Int32(Int(p.x) + ni * (Int(p.y) + nj * Int(p.z)))
                }
            }
        }
        let voxels = volume.voxels.gathered(sources, volumes: volume.shape.volumes, sourceVoxelsPerVolume: volume.shape.voxelsPerVolume)
        return Volume(shape: VolumeShape(grid.shape.i, grid.shape.j, grid.shape.k, volumes: volume.shape.volumes),
                      affine: grid.affine, voxels: voxels, scale: volume.scale, repetitionTimeS: volume.repetitionTimeS)
    }
}

@inline(__always)
private func lerp(_ a: Float, _ b: Float, _ t: Float) -> Float { a + (b - a) * t }

/// One axis of a trilinear lookup: the lower voxel index and the weight of the next one (0 on a voxel
/// centre, so an exact grid match reads exact values).
private struct Axis {
    let index: Int
    let fraction: Float

    /// Nil when `position` (continuous voxel index) lies outside `0…count−1`.
    init?(_ position: Double, _ count: Int) {
        let tolerance = 1e-6
        guard position > -tolerance, position < Double(count - 1) + tolerance else { return nil }
        let nearest = position.rounded()
        if abs(position - nearest) < tolerance {
            index = Int(nearest)
            fraction = 0
        } else {
            index = Int(position.rounded(.down))
            fraction = Float(position - Double(index))
        }
    }
}
