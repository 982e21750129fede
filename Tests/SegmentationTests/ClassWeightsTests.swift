import Segmentation
import Testing

extension ClassCalibrationSet {
    /// Adds `count` voxels of class `truth`, each with the posteriors `posterior`.
    mutating func add(_ posterior: [Float], truth: UInt8, count: Int) {
        add(posteriors: Array([[Float]](repeating: posterior, count: count).joined()), target: [UInt8](repeating: truth, count: count))
    }
}

struct ClassWeightsTests {
    @Test func reweightingScalesEachClassAndKeepsEveryVoxelNormalised() {
        var posteriors: [Float] = [0.5, 0.3, 0.2,
                                   0.0, 0.0, 1.0]
        ClassWeights.reweight(&posteriors, by: ClassWeights(factors: [1, 2, 0.5]))
        let expected: [Float] = [0.5 / 1.2, 0.6 / 1.2, 0.1 / 1.2,
                                 0, 0, 1]
        #expect(zip(posteriors, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(posteriors)")
    }

    /// Background, one large class and one small class whose boundary voxels the network over-claims.
    static func inflatedSmallClass() -> ClassCalibrationSet {
        var set = ClassCalibrationSet(classes: 3)
        set.add([0.999, 0.0005, 0.0005], truth: 0, count: 20_000)
        set.add([0.0005, 0.999, 0.0005], truth: 1, count: 20_000)
        set.add([0.1, 0.2, 0.7], truth: 2, count: 100)
        set.add([0.05, 0.4, 0.55], truth: 1, count: 100)
        return set
    }

    @Test func fittedWeightsShrinkAnInflatedSmallClassToItsTrueVolumeAndLeaveLargeClassesAlone() {
        let set = Self.inflatedSmallClass()
        let identity = ClassWeights(factors: [1, 1, 1])
        #expect(set.volumes(identity).predicted[2] == 200, "the small class starts at twice its volume")
        #expect(set.contestedVoxels == 200, "only the uncertain voxels are kept whole")

        let weights = set.fitVolumes(partners: [0, 1, 2], minimumVoxels: 50)

        #expect(weights.factors[0] == 1 && weights.factors[1] == 1, "background and the large class keep 1: \(weights.factors)")
        #expect(weights.factors[2] < 0.4 / 0.55 && weights.factors[2] > 0.2 / 0.7, "\(weights.factors)")
        #expect(set.volumes(weights).predicted[2] == 100)
        #expect(set.dice(weights)[2] == 1)
        #expect(set.dice(identity)[2].map { abs($0 - 2.0 / 3.0) < 1e-9 } == true)
    }

    @Test func hemisphereTwinsShareOneFactor() {
        var set = ClassCalibrationSet(classes: 3)
        set.add([0.999, 0.0005, 0.0005], truth: 0, count: 40_000)
        set.add([0.2, 0.7, 0.1], truth: 1, count: 100)
        set.add([0.45, 0.55, 0], truth: 0, count: 60)
        set.add([0.2, 0.1, 0.7], truth: 2, count: 100)
        set.add([0.45, 0, 0.55], truth: 0, count: 20)

        let weights = set.fitVolumes(partners: [0, 2, 1], maximumShare: 1, minimumVoxels: 50)

        #expect(weights.factors[1] == weights.factors[2], "\(weights.factors)")
        let predicted = set.volumes(weights).predicted
        #expect(predicted[1] + predicted[2] == 200, "the pair together gets its true volume: \(predicted)")
    }
}
