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
        let cleaned = LabelCleanup.clean(labels, shape: shape)
        #expect(cleaned[4 + 9 * (4 + 9 * 4)] == 5, "the enclosed hole takes its surroundings' class")
        #expect(cleaned[0] == 0, "the stray voxel of class 5 is removed")
        #expect(cleaned[8 + 9 * (8 + 9 * 8)] == 7, "a structure's only component stays")
        #expect(cleaned.filter { $0 == 5 }.count == 125)
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
}

struct SlabTests {
    @Test(arguments: [(48, 10_000), (64, 96 * 128), (160, 128 * 128), (16, 200_000)])
    func slabsKeepEveryPlaneOnceWithAlignedBoundaries(depth: Int, area: Int) {
        let slabs = Segmenter.slabs(depth: depth, area: area, multiple: 8)
        #expect(slabs.flatMap { Array($0.kept) } == Array(0..<depth))
        for slab in slabs {
            #expect(slab.input.lowerBound % 8 == 0 && slab.input.count % 8 == 0)
            #expect(slab.input.lowerBound <= slab.kept.lowerBound && slab.kept.upperBound <= slab.input.upperBound)
            #expect(slab.input.count * area <= max(Segmenter.maxVoxelsPerPass, 8 * area))
        }
    }
}
