import NeuroImage

/// Post-processing of a class map (i fastest): each structure keeps only its largest face-connected
/// component (the rest becomes background), CSF farther than `maxCSFDistanceMM` from every other structure
/// becomes background, then every background region enclosed by structures (not touching the grid's
/// border) takes the class most of its neighbouring voxels carry.
enum LabelCleanup {
    /// Extra-cerebral CSF is a layer around the brain. In the 20 training label maps 1.2 % of the CSF voxels
    /// lie farther than this from every other structure (down the spinal canal); in the whole-head xa30 T1
    /// half the predicted CSF did, in the neck and face, and counted in the intracranial volume.
    static let maxCSFDistanceMM = 15.0

    static func clean(_ classes: [UInt8], grid: VoxelGrid) -> [UInt8] {
        let shape = grid.shape
        var labels = classes
        let components = Components(labels, shape: shape)
        var largest: [UInt8: (root: Int32, size: Int)] = [:]
        for (root, size) in components.sizes {
            let label = labels[Int(root)]
            guard label != 0 else { continue }
            if size > largest[label]?.size ?? 0 { largest[label] = (root, size) }
        }
        for index in labels.indices where labels[index] != 0 && components.root(of: index) != largest[labels[index]]!.root {
            labels[index] = 0
        }
        removeDistantCSF(&labels, grid: grid)
        fillEnclosedBackground(&labels, shape: shape)
        return labels
    }

    private static func removeDistantCSF(_ labels: inout [UInt8], grid: VoxelGrid) {
        guard let csf = LabelSet.classIndex(ofAseg: 24).map(UInt8.init), labels.contains(csf) else { return }
        let shape = grid.shape
        let distances = DistanceTransform.squaredDistances(features: labels.map { $0 != 0 && $0 != csf },
                                                           nx: shape.i, ny: shape.j, nz: shape.k, spacingMM: grid.affine.spacingMM)
        let limit = maxCSFDistanceMM * maxCSFDistanceMM
        for index in labels.indices where labels[index] == csf && distances[index] > limit { labels[index] = 0 }
    }

    private static func fillEnclosedBackground(_ labels: inout [UInt8], shape: VolumeShape) {
        let components = Components(labels, shape: shape)
        let (ni, nj, nk) = (shape.i, shape.j, shape.k)
        var touchesBorder = Set<Int32>()
        var neighbourVotes: [Int32: [UInt8: Int]] = [:]
        for k in 0..<nk {
            for j in 0..<nj {
                for i in 0..<ni {
                    let index = i + ni * (j + nj * k)
                    guard labels[index] == 0 else { continue }
                    let root = components.root(of: index)
                    if i == 0 || j == 0 || k == 0 || i == ni - 1 || j == nj - 1 || k == nk - 1 { touchesBorder.insert(root) }
                    for (di, dj, dk) in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)] {
                        let (x, y, z) = (i + di, j + dj, k + dk)
                        guard x >= 0, y >= 0, z >= 0, x < ni, y < nj, z < nk else { continue }
                        let neighbour = labels[x + ni * (y + nj * z)]
                        if neighbour != 0 { neighbourVotes[root, default: [:]][neighbour, default: 0] += 1 }
                    }
                }
            }
        }
        var fill: [Int32: UInt8] = [:]
        for (root, votes) in neighbourVotes where !touchesBorder.contains(root) {
            fill[root] = votes.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
        }
        guard !fill.isEmpty else { return }
        for index in labels.indices where labels[index] == 0 {
            if let label = fill[components.root(of: index)] { labels[index] = label }
        }
    }
}

/// Face-connected components of equal labels, by union-find over the grid.
private struct Components {
    private var parent: [Int32]
    private(set) var sizes: [Int32: Int] = [:]

    init(_ labels: [UInt8], shape: VolumeShape) {
        parent = (0..<Int32(labels.count)).map { $0 }
        let (ni, nj, nk) = (shape.i, shape.j, shape.k)
        for k in 0..<nk {
            for j in 0..<nj {
                for i in 0..<ni {
                    let index = i + ni * (j + nj * k)
                    if i + 1 < ni, labels[index + 1] == labels[index] { union(index, index + 1) }
                    if j + 1 < nj, labels[index + ni] == labels[index] { union(index, index + ni) }
                    if k + 1 < nk, labels[index + ni * nj] == labels[index] { union(index, index + ni * nj) }
                }
            }
        }
        for index in parent.indices { sizes[find(index), default: 0] += 1 }
    }

    func root(of index: Int) -> Int32 {
        var current = Int32(index)
        while parent[Int(current)] != current { current = parent[Int(current)] }
        return current
    }

    private mutating func find(_ index: Int) -> Int32 {
        var root = Int32(index)
        while parent[Int(root)] != root { root = parent[Int(root)] }
        var current = Int32(index)
        while parent[Int(current)] != root {
            let next = parent[Int(current)]
            parent[Int(current)] = root
            current = next
        }
        return root
    }

    private mutating func union(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[Int(max(ra, rb))] = min(ra, rb) }
    }
}
