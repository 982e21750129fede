import NeuroImage
import Testing
@testable import Segmentation

struct PostProcessingTests {
    @Test func strayIslandsAreRemovedAndEnclosedHolesFilled() {
        let shape = VolumeShape(9, 9, 9)
        var labels = [UInt8](repeating: 0, count: shape.count)
        func set(_ i: Int, _ j: Int, _ k: Int, _ value: UInt8) { labels[i + 9 * (j + 9 * k)] = value }
        for k in 2...6 { for j in 2...6 { for i in 2...6 { set(i, j, k, 5) } } }
        set(4, 4, 4, 0)
        set(0, 0, 0, 5)
        set(8, 8, 8, 7)
        let cleaned = LabelCleanup.clean(labels, grid: VoxelGrid(shape: shape, affine: .diagonal(spacingMM: SIMD3(1, 1, 1))))
        #expect(cleaned[4 + 9 * (4 + 9 * 4)] == 5, "the enclosed hole takes its surroundings' class")
        #expect(cleaned[0] == 0, "the stray voxel of class 5 is removed")
        #expect(cleaned[8 + 9 * (8 + 9 * 8)] == 7, "a structure's only component stays")
        #expect(cleaned.filter { $0 == 5 }.count == 125)
    }

    @Test func csfFartherThanFifteenMillimetresFromTheBrainBecomesBackground() throws {
        // A brain block of 5 voxels a side inside a CSF layer, and a CSF tail of the same component running
        // on along i; voxels are 0.5 mm along i, so the tail's end lies 21 mm from the block.
        let shape = VolumeShape(60, 12, 12)
        let csf = UInt8(try #require(LabelSet.classIndex(ofAseg: 24)))
        var labels = [UInt8](repeating: 0, count: shape.count)
        func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + shape.i * (j + shape.j * k) }
        for k in 2...8 { for j in 2...8 { for i in 2...8 { labels[index(i, j, k)] = csf } } }
        for k in 3...7 { for j in 3...7 { for i in 3...7 { labels[index(i, j, k)] = 1 } } }
        for i in 9..<50 { labels[index(i, 5, 5)] = csf }
        let grid = VoxelGrid(shape: shape, affine: .diagonal(spacingMM: SIMD3(0.5, 1, 1)))

        let cleaned = LabelCleanup.clean(labels, grid: grid)

        #expect(cleaned[index(2, 2, 2)] == csf, "the layer around the brain stays")
        #expect(cleaned[index(7 + 30, 5, 5)] == csf, "15 mm from the brain is still kept")
        #expect(cleaned[index(7 + 31, 5, 5)] == 0, "15.5 mm from the brain is removed")
        #expect(cleaned[index(49, 5, 5)] == 0)
        #expect(cleaned.filter { $0 == 1 }.count == 125, "other structures are untouched")
    }

    @Test func posteriorsOnACoarseGridGiveTheSameClassesOnTheFineGridTheyCover() {
        let fine = VoxelGrid(shape: VolumeShape(8, 8, 8), affine: .diagonal(spacingMM: SIMD3(1, 1, 1)))
        let coarse = Segmenter.networkGrid(for: fine, voxelMM: 2, multiple: 4)
        #expect(coarse.shape == VolumeShape(4, 4, 4))
        var posteriors = [Float](repeating: 0, count: 64 * 3)
        for voxel in 0..<64 {
            let i = voxel % 4
            posteriors[voxel * 3 + (i < 2 ? 1 : 2)] = 1
        }
        let (classes, confidence) = PosteriorUpsampling.argmax(posteriors, classes: 3, coarse: coarse, fine: fine)
        for index in classes.indices {
            let i = index % 8
            if i <= 2 { #expect(classes[index] == 1) }
            if i >= 5 { #expect(classes[index] == 2) }
        }
        #expect(confidence > 0.8 && confidence <= 1)
    }

    /// Coarse posteriors ramp from class 1 to class 2 along i, crossing 0.5 at fine i = 9.5; the image steps
    /// from 0.3 to 0.7 at fine i = 7. One bright voxel sits where class 2's posterior is zero.
    @Test func refinementMovesAnInterpolatedBoundaryOntoTheImagesEdge() {
        let fine = VoxelGrid(shape: VolumeShape(20, 8, 8), affine: .diagonal(spacingMM: SIMD3(1, 1, 1)))
        let coarse = Segmenter.networkGrid(for: fine, voxelMM: 2, multiple: 2)
        #expect(coarse.shape == VolumeShape(10, 4, 4))
        var posteriors = [Float](repeating: 0, count: coarse.shape.voxelsPerVolume * 3)
        for voxel in 0..<coarse.shape.voxelsPerVolume {
            let second = min(max(Float(voxel % 10 - 2) / 5, 0), 1)
            (posteriors[voxel * 3 + 1], posteriors[voxel * 3 + 2]) = (1 - second, second)
        }
        var image = (0..<fine.shape.voxelsPerVolume).map { Float($0 % 20 < 7 ? 0.3 : 0.7) }
        image[2 + 20 * (2 + 8 * 2)] = 0.7
        func row(_ classes: [UInt8]) -> [UInt8] { (0..<20).map { classes[$0 + 20 * (3 + 8 * 3)] } }

        let (plain, _) = PosteriorUpsampling.argmax(posteriors, classes: 3, coarse: coarse, fine: fine)
        let refinement = IntensityRefinement(weight: 1.5, candidateFloor: 0.2)
        let (refined, _) = PosteriorUpsampling.argmax(posteriors, classes: 3, coarse: coarse, fine: fine,
                                                      refinement: (refinement, image))

        #expect(row(plain) == [UInt8](repeating: 1, count: 10) + [UInt8](repeating: 2, count: 10))
        #expect(row(refined) == [UInt8](repeating: 1, count: 7) + [UInt8](repeating: 2, count: 13))
        #expect(refined[2 + 20 * (2 + 8 * 2)] == 1, "a class below the candidate floor is never chosen")
        #expect(!refined.contains(0), "background, without a model, is not chosen where it has no posterior")
    }

    @Test func unmodelledBackgroundKeepsItsPosteriorAgainstAnyIntensity() {
        let classes = 3
        let likelihoods = IntensityRefinement(weight: 10, candidateFloor: 0.2).fit({
            var moments = IntensityRefinement.Moments(classes: classes)
            moments.weights = [0, 1000, 1000]
            moments.sums = [0, 300, 700]
            moments.squares = [0, 100, 500]
            return moments
        }())
        var posteriors: [Float] = [0.55, 0.45, 0]
        let chosen = posteriors.withUnsafeMutableBufferPointer { likelihoods.mostProbable(posteriors: $0, intensity: 0.3) }
        #expect(chosen == 0, "class 1 fits the intensity best, but background scores as well as the best fit")
        posteriors = [0.45, 0.55, 0]
        let other = posteriors.withUnsafeMutableBufferPointer { likelihoods.mostProbable(posteriors: $0, intensity: 0.7) }
        #expect(other == 1, "nor does intensity argue for background where it fits no class")
    }
}

struct SlidingWindowTests {
    @Test(arguments: [(VolumeShape(80, 96, 80), 64), (VolumeShape(48, 48, 32), 64), (VolumeShape(128, 160, 112), 64),
                      (VolumeShape(96, 96, 96), 32)])
    func windowsCoverEveryVoxelAndOverlapByHalf(shape: VolumeShape, edge: Int) {
        let windows = SlidingWindows(shape: shape, edge: edge).windows
        var covered = [Int](repeating: 0, count: shape.voxelsPerVolume)
        for window in windows {
            #expect(window.extent == SIMD3(min(edge, shape.i), min(edge, shape.j), min(edge, shape.k)))
            #expect(window.origin.x + window.extent.x <= shape.i && window.origin.y + window.extent.y <= shape.j
                    && window.origin.z + window.extent.z <= shape.k)
            for k in 0..<window.extent.z {
                for j in 0..<window.extent.y {
                    for i in 0..<window.extent.x {
                        covered[window.origin.x + i + shape.i * (window.origin.y + j + shape.j * (window.origin.z + k))] += 1
                    }
                }
            }
        }
        #expect(covered.allSatisfy { $0 > 0 })
        for axis in 0..<3 {
            let starts = Set(windows.map { $0.origin[axis] }).sorted()
            for (a, b) in zip(starts, starts.dropFirst()) { #expect(b - a <= edge / 2) }
        }
    }

    @Test func blendIsTheWeightedMeanOfTheWindowsThatCoverAVoxel() {
        let shape = VolumeShape(96, 64, 64)
        let windows = SlidingWindows(shape: shape, edge: 64)
        #expect(windows.windows.map(\.origin.x) == [0, 32])
        var blend = PosteriorBlend(shape: shape, classes: 2)
        for (index, window) in windows.windows.enumerated() {
            let voxels = window.extent.x * window.extent.y * window.extent.z
            blend.add((0..<voxels).flatMap { _ in index == 0 ? [Float(1), 0] : [Float(0), 1] }, in: window, weights: windows.weights)
        }
        let posteriors = blend.posteriors()
        func first(_ i: Int) -> Float { posteriors[2 * (i + shape.i * (32 + shape.j * 32))] }
        #expect(first(10) == 1 && first(90) == 0, "voxels one window covers keep its posteriors")
        #expect(abs(first(47) + first(48) - 1) < 1e-5 && first(47) > 0.5, "the blend is symmetric about the midpoint of the centres")
        #expect(first(40) > first(47) && first(47) > first(56), "weight moves towards the nearer centre")
        #expect(stride(from: 0, to: posteriors.count, by: 2).allSatisfy { abs(posteriors[$0] + posteriors[$0 + 1] - 1) < 1e-5 })
    }

    @Test func cropCopiesTheWindowsVoxels() {
        let shape = VolumeShape(20, 18, 16)
        let volume = (0..<shape.voxelsPerVolume).map(Float.init)
        let window = SlidingWindows.Window(origin: SIMD3(3, 5, 7), extent: SIMD3(8, 8, 8))
        let crop = SlidingWindows(shape: shape, edge: 8).crop(volume, to: window)
        #expect(crop[0] == Float(3 + 20 * (5 + 18 * 7)))
        #expect(crop[7 + 8 * (7 + 8 * 7)] == Float(10 + 20 * (12 + 18 * 14)))
    }

    @Test func weightsPeakAtTheCentreAndStayPositive() {
        let extent = SIMD3(64, 64, 32)
        let weights = SlidingWindows.weights(extent: extent)
        let centre = weights[31 + 64 * (31 + 64 * 15)]
        #expect(weights.allSatisfy { $0 > 0 && $0 <= centre })
        #expect(weights[0] < 1e-6 * centre)
    }

    @Test func mirroringReversesTheLeftRightAxisAndSwapsHemisphereClasses() {
        let extent = SIMD3(4, 3, 2)
        let classes = LabelSet.count
        let leftHippocampus = LabelSet.asegLabels.firstIndex(of: 17)!, rightHippocampus = LabelSet.asegLabels.firstIndex(of: 53)!
        let brainStem = LabelSet.asegLabels.firstIndex(of: 16)!
        var posteriors = [Float](repeating: 0, count: extent.x * extent.y * extent.z * classes)
        func at(_ i: Int, _ j: Int, _ k: Int, _ c: Int) -> Int { (i + extent.x * (j + extent.y * k)) * classes + c }
        posteriors[at(0, 1, 1, leftHippocampus)] = 1
        posteriors[at(2, 2, 0, brainStem)] = 1
        let mirrored = SlidingWindows.mirrorLeftRight(posteriors, extent: extent, channelOrder: LabelSet.partnerClass)
        #expect(mirrored[at(3, 1, 1, rightHippocampus)] == 1 && mirrored[at(3, 1, 1, leftHippocampus)] == 0)
        #expect(mirrored[at(1, 2, 0, brainStem)] == 1)
        #expect(mirrored.reduce(0, +) == 2)
        #expect(SlidingWindows.mirrorLeftRight(mirrored, extent: extent, channelOrder: LabelSet.partnerClass) == posteriors,
                "mirroring twice gives the input back")
        let image = (0..<(extent.x * extent.y * extent.z)).map(Float.init)
        #expect(Array(SlidingWindows.mirrorLeftRight(image, extent: extent, channelOrder: [0]).prefix(4)) == [3, 2, 1, 0])
    }
}
