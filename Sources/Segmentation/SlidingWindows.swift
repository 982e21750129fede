import Foundation
import NeuroImage

/// Overlapping cubic windows over the network grid, and the Gaussian weights that blend their posteriors.
///
/// Group norm takes its statistics over whatever one pass sees, so the network should see at inference the
/// field of view it was trained on (64³ crops at 2 mm): a whole head in one pass is normalised differently
/// from its training crops, and slabs normalised one by one show seams. Windows of the training size,
/// overlapping by half and weighted towards their centres, keep both the statistics and the blend smooth.
struct SlidingWindows {
    /// Where one window starts (voxel index per axis, i j k) and how many voxels it spans per axis.
    struct Window: Equatable {
        var origin: SIMD3<Int>
        var extent: SIMD3<Int>
    }

    let shape: VolumeShape
    let windows: [Window]
    /// `weights(extent:)` of the windows' common extent.
    let weights: [Float]

    /// Windows of `edge` voxels (or the whole axis where it is shorter), starts spread evenly so that the
    /// first touches 0, the last the far end, and neighbours overlap by at least half a window.
    init(shape: VolumeShape, edge: Int) {
        precondition(edge > 0, "window edge must be positive")
        self.shape = shape
        func starts(_ n: Int) -> (starts: [Int], extent: Int) {
            guard n > edge else { return ([0], n) }
            let count = (n - edge + edge / 2 - 1) / (edge / 2) + 1
            return ((0..<count).map { Int((Double($0 * (n - edge)) / Double(count - 1)).rounded()) }, edge)
        }
        let (si, ei) = starts(shape.i), (sj, ej) = starts(shape.j), (sk, ek) = starts(shape.k)
        windows = sk.flatMap { k in sj.flatMap { j in si.map { i in Window(origin: SIMD3(i, j, k), extent: SIMD3(ei, ej, ek)) } } }
        weights = Self.weights(extent: SIMD3(ei, ej, ek))
    }

    /// The voxels of `volume` (on `shape`, i fastest) inside `window`, i fastest.
    func crop(_ volume: [Float], to window: Window) -> [Float] {
        precondition(volume.count == shape.voxelsPerVolume, "the volume must be on the windows' grid")
        let e = window.extent
        return [Float](unsafeUninitializedCapacity: e.x * e.y * e.z) { out, count in
            volume.withUnsafeBufferPointer { source in
                for k in 0..<e.z {
                    for j in 0..<e.y {
                        let from = window.origin.x + shape.i * (window.origin.y + j + shape.j * (window.origin.z + k))
                        (out.baseAddress! + e.x * (j + e.y * k)).initialize(from: source.baseAddress! + from, count: e.x)
                    }
                }
            }
            count = e.x * e.y * e.z
        }
    }

    /// A window's values (`[k][j][i][channel]`) mirrored along i, the left/right axis of the RAS grid; output
    /// channel c takes input channel `channelOrder[c]` (the left/right partner table swaps the hemispheres).
    static func mirrorLeftRight(_ values: [Float], extent: SIMD3<Int>, channelOrder: [Int]) -> [Float] {
        let channels = channelOrder.count
        precondition(values.count == extent.x * extent.y * extent.z * channels, "values must cover the window")
        var result = [Float](repeating: 0, count: values.count)
        for row in 0..<(extent.y * extent.z) {
            for i in 0..<extent.x {
                let target = (row * extent.x + i) * channels, source = (row * extent.x + extent.x - 1 - i) * channels
                for c in 0..<channels { result[target + c] = values[source + channelOrder[c]] }
            }
        }
        return result
    }

    /// Blending weight of each voxel of a window with `extent` (i fastest): a product of Gaussians with σ of
    /// an eighth of the window along each axis, so a voxel counts most in the window it is central to.
    /// Every weight stays above zero, so voxels only one window covers keep that window's posteriors.
    static func weights(extent: SIMD3<Int>) -> [Float] {
        func profile(_ n: Int) -> [Float] {
            let centre = Double(n - 1) / 2, sigma = Double(n) / 8
            return (0..<n).map { Float(exp(-pow(Double($0) - centre, 2) / (2 * sigma * sigma))) }
        }
        let (wi, wj, wk) = (profile(extent.x), profile(extent.y), profile(extent.z))
        var weights = [Float](repeating: 0, count: extent.x * extent.y * extent.z)
        for k in 0..<extent.z {
            for j in 0..<extent.y {
                for i in 0..<extent.x { weights[i + extent.x * (j + extent.y * k)] = wi[i] * wj[j] * wk[k] }
            }
        }
        return weights
    }
}

/// Weighted sums of window posteriors over the whole grid, `[k][j][i][class]`, and the weights they add up to.
struct PosteriorBlend {
    let shape: VolumeShape
    let classes: Int
    private var sums: [Float]
    private var totalWeights: [Float]

    init(shape: VolumeShape, classes: Int) {
        self.shape = shape
        self.classes = classes
        sums = [Float](repeating: 0, count: shape.voxelsPerVolume * classes)
        totalWeights = [Float](repeating: 0, count: shape.voxelsPerVolume)
    }

    /// Adds one window's posteriors `[k][j][i][class]`, scaled by `weights` (`SlidingWindows.weights`).
    mutating func add(_ posteriors: [Float], in window: SlidingWindows.Window, weights: [Float]) {
        let e = window.extent
        precondition(posteriors.count == e.x * e.y * e.z * classes && weights.count == e.x * e.y * e.z,
                     "posteriors and weights must cover the window")
        let (classes, shape) = (self.classes, self.shape)
        sums.withUnsafeMutableBufferPointer { sums in
            totalWeights.withUnsafeMutableBufferPointer { totals in
                posteriors.withUnsafeBufferPointer { posteriors in
                    weights.withUnsafeBufferPointer { weights in
                        for k in 0..<e.z {
                            for j in 0..<e.y {
                                let row = window.origin.x + shape.i * (window.origin.y + j + shape.j * (window.origin.z + k))
                                for i in 0..<e.x {
                                    let local = i + e.x * (j + e.y * k)
                                    let weight = weights[local]
                                    totals[row + i] += weight
                                    let target = sums.baseAddress! + (row + i) * classes
                                    let source = posteriors.baseAddress! + local * classes
                                    for c in 0..<classes { target[c] += weight * source[c] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The blended posteriors: each voxel's weighted mean over the windows that cover it.
    func posteriors() -> [Float] {
        var result = sums
        result.withUnsafeMutableBufferPointer { result in
            for voxel in totalWeights.indices {
                precondition(totalWeights[voxel] > 0, "every voxel must lie in a window")
                let scale = 1 / totalWeights[voxel]
                for c in 0..<classes { result[voxel * classes + c] *= scale }
            }
        }
        return result
    }
}
