import Foundation
import Testing
@testable import Validation

/// Two balls on a grid: analytic Dice and surface distances are known within a voxel.
private func balls(size: Int, spacing: SIMD3<Double>, first: (SIMD3<Double>, Double), second: (SIMD3<Double>, Double)) -> (LabelGrid, LabelGrid) {
    var a = [Int32](repeating: 0, count: size * size * size)
    var b = a
    for z in 0..<size {
        for y in 0..<size {
            for x in 0..<size {
                let p = SIMD3(Double(x), Double(y), Double(z)) * spacing
                let index = x + size * (y + size * z)
                let d1 = p - first.0, d2 = p - second.0
                if (d1 * d1).sum() <= first.1 * first.1 { a[index] = 7 }
                if (d2 * d2).sum() <= second.1 * second.1 { b[index] = 7 }
            }
        }
    }
    return (LabelGrid(nx: size, ny: size, nz: size, spacingMM: spacing, labels: a),
            LabelGrid(nx: size, ny: size, nz: size, spacingMM: spacing, labels: b))
}

/// Volume of the intersection of two balls of radii r1, r2 whose centres are d apart.
private func lensVolume(_ r1: Double, _ r2: Double, _ d: Double) -> Double {
    guard d < r1 + r2 else { return 0 }
    if d <= abs(r1 - r2) { return 4 / 3 * Double.pi * pow(min(r1, r2), 3) }
    let cap: Double = pow(r1 + r2 - d, 2)
    let spread: Double = d * d + 2 * d * (r1 + r2) - 3 * pow(r1 - r2, 2)
    return Double.pi * cap * spread / (12 * d)
}

struct OverlapMetricsTests {
    @Test func identicalMasksScorePerfectly() {
        let (a, _) = balls(size: 32, spacing: SIMD3(1, 1, 1), first: (SIMD3(16, 16, 16), 8), second: (SIMD3(16, 16, 16), 8))
        let score = OverlapMetrics.score(reference: a, prediction: a, labels: [7])[0]
        #expect(score.status == .scored)
        #expect(score.dice == 1)
        #expect(score.hd95MM == 0)
        #expect(score.assdMM == 0)
    }

    @Test(arguments: [(10.0, 10.0, 4.0), (12.0, 9.0, 2.0), (10.0, 8.0, 0.0)])
    func ballsOfKnownRadiiAndOffsetMatchAnalyticValues(r1: Double, r2: Double, offset: Double) {
        let centre = SIMD3<Double>(24, 24, 24)
        let (a, b) = balls(size: 48, spacing: SIMD3(1, 1, 1), first: (centre, r1), second: (centre + SIMD3(offset, 0, 0), r2))
        let score = OverlapMetrics.score(reference: a, prediction: b, labels: [7])[0]
        let v1 = 4 / 3 * Double.pi * pow(r1, 3), v2 = 4 / 3 * Double.pi * pow(r2, 3)
        let expectedDice = 2 * lensVolume(r1, r2, offset) / (v1 + v2)
        #expect(abs(score.dice - expectedDice) < 0.03, "Dice \(score.dice) vs analytic \(expectedDice)")
        // Surface distances lie between |r1 − r2| − offset and |r1 − r2| + offset; the largest is |r1 − r2| + offset.
        let largest = abs(r1 - r2) + offset
        #expect(score.hd95MM <= largest + 1.0)
        #expect(score.hd95MM >= largest * 0.8 - 1.0)
        #expect(abs(score.referenceVolumeML - v1 / 1000) < 0.05 * v1 / 1000)
    }

    @Test func concentricBallsHaveDistanceOfTheirRadiusDifference() {
        let (a, b) = balls(size: 40, spacing: SIMD3(1, 1, 1), first: (SIMD3(20, 20, 20), 12), second: (SIMD3(20, 20, 20), 8))
        let score = OverlapMetrics.score(reference: a, prediction: b, labels: [7])[0]
        #expect(abs(score.assdMM - 4) < 1.0, "ASSD \(score.assdMM)")
        #expect(abs(score.hd95MM - 4) < 1.0, "HD95 \(score.hd95MM)")
    }

    @Test func anisotropicSpacingIsMeasuredInMillimetres() {
        let spacing = SIMD3<Double>(1, 1, 3)
        let (a, b) = balls(size: 40, spacing: spacing, first: (SIMD3(20, 20, 60), 15), second: (SIMD3(20, 20, 60), 15))
        var shifted = b
        // Shift the prediction by one slice: 3 mm along z.
        let n = 40
        shifted.labels = (0..<(n * n * n)).map { index in
            let z = index / (n * n)
            return z == 0 ? 0 : b.labels[index - n * n]
        }
        let score = OverlapMetrics.score(reference: a, prediction: shifted, labels: [7])[0]
        #expect(abs(score.hd95MM - 3) < 0.01, "a one-slice shift at 3 mm spacing: HD95 \(score.hd95MM)")
    }

    @Test func emptyMasksAreHandledExplicitly() {
        let grid = LabelGrid(nx: 4, ny: 4, nz: 4, spacingMM: SIMD3(1, 1, 1), labels: Array(repeating: 0, count: 64))
        var withLabel = grid
        withLabel.labels[21] = 5
        let scores = OverlapMetrics.score(reference: withLabel, prediction: grid, labels: [5, 9])
        #expect(scores[0].status == .missingInPrediction)
        #expect(scores[0].dice == 0)
        #expect(scores[0].hd95MM.isNaN)
        #expect(scores[1].status == .bothEmpty)
        let reversed = OverlapMetrics.score(reference: grid, prediction: withLabel, labels: [5])[0]
        #expect(reversed.status == .missingInReference)
    }

    @Test func excludedVoxelsAreLeftOutOfBothMaps() {
        var reference = LabelGrid(nx: 4, ny: 1, nz: 1, spacingMM: SIMD3(1, 1, 1), labels: [3, 3, 0, 0])
        let prediction = LabelGrid(nx: 4, ny: 1, nz: 1, spacingMM: SIMD3(1, 1, 1), labels: [3, 3, 3, 0])
        reference.labels[2] = 99
        let score = OverlapMetrics.score(reference: reference, prediction: prediction, labels: [3],
                                         excluded: [false, false, true, false])[0]
        #expect(score.dice == 1)
    }

    @Test(arguments: [([1.0, 2, 3, 4, 5], 50.0, 3.0), ([1.0, 2, 3, 4, 5], 95.0, 4.8), ([7.0], 95.0, 7.0)])
    func percentileInterpolatesLikeNumPy(values: [Double], p: Double, expected: Double) {
        #expect(abs(OverlapMetrics.percentile(values, p) - expected) < 1e-12)
    }
}
