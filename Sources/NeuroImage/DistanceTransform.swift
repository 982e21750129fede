/// Exact Euclidean distance transform on an anisotropic grid (Felzenszwalb & Huttenlocher's separable
/// lower envelope of parabolas), in mm.
public enum DistanceTransform {
    /// Squared distance (mm²) from every voxel of a box to the nearest feature voxel (`features[index]`),
    /// infinity when there is none. Layout: index = x + nx · (y + ny · z).
    public static func squaredDistances(features: [Bool], nx: Int, ny: Int, nz: Int, spacingMM: SIMD3<Double>) -> [Double] {
        var field = features.map { $0 ? 0.0 : Double.infinity }
        let longest = max(nx, ny, nz)
        var line = [Double](repeating: 0, count: longest)
        var output = [Double](repeating: 0, count: longest)
        var vertices = [Int](repeating: 0, count: longest)
        var boundaries = [Double](repeating: 0, count: longest + 1)
        func pass(count: Int, stride: Int, starts: [Int], spacing: Double) {
            for start in starts {
                for n in 0..<count { line[n] = field[start + n * stride] }
                envelope(line, count: count, spacing: spacing, output: &output, vertices: &vertices, boundaries: &boundaries)
                for n in 0..<count { field[start + n * stride] = output[n] }
            }
        }
        pass(count: nx, stride: 1, starts: (0..<(ny * nz)).map { $0 * nx }, spacing: spacingMM.x)
        pass(count: ny, stride: nx, starts: (0..<nz).flatMap { z in (0..<nx).map { z * nx * ny + $0 } }, spacing: spacingMM.y)
        pass(count: nz, stride: nx * ny, starts: Array(0..<(nx * ny)), spacing: spacingMM.z)
        return field
    }

    /// One-dimensional squared distance transform of `f` with sample spacing `spacing` (mm).
    private static func envelope(_ f: [Double], count: Int, spacing: Double, output: inout [Double],
                                 vertices: inout [Int], boundaries: inout [Double]) {
        let w2 = spacing * spacing
        func intersection(_ q: Int, _ p: Int) -> Double {
            ((f[q] + w2 * Double(q * q)) - (f[p] + w2 * Double(p * p))) / (2 * w2 * Double(q - p))
        }
        var k = -1
        for q in 0..<count where f[q].isFinite {
            guard k >= 0 else {
                k = 0
                vertices[0] = q
                boundaries[0] = -.infinity
                boundaries[1] = .infinity
                continue
            }
            var s = intersection(q, vertices[k])
            while s <= boundaries[k] {
                k -= 1
                s = intersection(q, vertices[k])
            }
            k += 1
            vertices[k] = q
            boundaries[k] = s
            boundaries[k + 1] = .infinity
        }
        guard k >= 0 else {
            for q in 0..<count { output[q] = .infinity }
            return
        }
        var j = 0
        for q in 0..<count {
            while boundaries[j + 1] < Double(q) { j += 1 }
            let d = Double(q - vertices[j])
            output[q] = w2 * d * d + f[vertices[j]]
        }
    }
}
