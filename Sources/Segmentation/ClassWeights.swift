import Foundation

/// Per-class factors on the segmenter's posteriors, p′(c) ∝ w_c · p(c), applied before the argmax.
///
/// A network trained with soft Dice claims the uncertain boundary voxels of small structures for them, so
/// their argmax volumes come out too large. The factors are fitted on synthetic images from the training
/// distribution (never on a validation set) so that the argmax volume of every small class matches its
/// true volume there; this is a change of class priors, with no retraining.
public struct ClassWeights: Sendable {
    public var factors: [Float]

    public init(factors: [Float]) {
        precondition(!factors.isEmpty && factors.allSatisfy { $0 > 0 && $0.isFinite }, "class weights must be positive")
        self.factors = factors
    }

    /// Scales posteriors `[voxel][class]` by the factors and renormalises each voxel to sum 1.
    public static func reweight(_ posteriors: inout [Float], by weights: ClassWeights) {
        let classes = weights.factors.count
        precondition(posteriors.count % classes == 0, "posteriors must hold whole voxels")
        weights.factors.withUnsafeBufferPointer { factors in
            posteriors.withUnsafeMutableBufferPointer { p in
                for base in stride(from: 0, to: p.count, by: classes) {
                    var total: Float = 0
                    for c in 0..<classes {
                        p[base + c] *= factors[c]
                        total += p[base + c]
                    }
                    guard total > 0 else { continue }
                    let scale = 1 / total
                    for c in 0..<classes { p[base + c] *= scale }
                }
            }
        }
    }
}

/// Posteriors and true classes of synthetic images, kept compactly for fitting and scoring `ClassWeights`.
///
/// A voxel whose top posterior reaches `certainty` cannot change class under factors within
/// `ClassWeights`' fitting range, so only its predicted and true class are kept; the others keep their
/// whole posterior vector.
public struct ClassCalibrationSet: Sendable {
    public let classes: Int
    /// Largest |log factor| the fit may use; with it, a voxel flips only if its top posterior is below
    /// e^(2·limit) / (1 + e^(2·limit)).
    static let logFactorLimit: Float = 2
    static var certainty: Float {
        let ratio = exp(2 * logFactorLimit)
        return ratio / (1 + ratio)
    }

    /// Voxel counts of certain voxels: `[predicted · classes + true]`.
    private var certainCounts: [Int]
    private var contestedPosteriors: [Float] = []
    private var contestedTargets: [UInt8] = []

    public init(classes: Int) {
        self.classes = classes
        certainCounts = [Int](repeating: 0, count: classes * classes)
    }

    /// Number of voxels whose class the factors may change.
    public var contestedVoxels: Int { contestedTargets.count }

    /// Adds one image's posteriors `[voxel][class]` and true classes.
    public mutating func add(posteriors: [Float], target: [UInt8]) {
        precondition(posteriors.count == target.count * classes, "one posterior vector per target voxel")
        let threshold = Self.certainty
        for voxel in target.indices {
            let base = voxel * classes
            var best = 0
            for c in 1..<classes where posteriors[base + c] > posteriors[base + best] { best = c }
            if posteriors[base + best] >= threshold {
                certainCounts[best * classes + Int(target[voxel])] += 1
            } else {
                contestedPosteriors.append(contentsOf: posteriors[base..<(base + classes)])
                contestedTargets.append(target[voxel])
            }
        }
    }

    /// Voxel counts `[predicted · classes + true]` of the argmax under `weights`.
    public func confusion(_ weights: ClassWeights) -> [Int] {
        precondition(weights.factors.count == classes, "one weight per class")
        var counts = certainCounts
        contestedPosteriors.withUnsafeBufferPointer { p in
            for voxel in contestedTargets.indices {
                let base = voxel * classes
                var best = 0
                var bestScore = p[base] * weights.factors[0]
                for c in 1..<classes {
                    let score = p[base + c] * weights.factors[c]
                    if score > bestScore { (best, bestScore) = (c, score) }
                }
                counts[best * classes + Int(contestedTargets[voxel])] += 1
            }
        }
        return counts
    }

    /// Dice of each class pooled over all images (nil where the class is absent from both maps).
    public func dice(_ weights: ClassWeights) -> [Double?] {
        let counts = confusion(weights)
        let (predicted, truth) = marginals(counts)
        return (0..<classes).map { c in
            predicted[c] + truth[c] == 0 ? nil : 2 * Double(counts[c * classes + c]) / Double(predicted[c] + truth[c])
        }
    }

    /// Predicted and true voxel counts of each class under `weights`.
    public func volumes(_ weights: ClassWeights) -> (predicted: [Int], truth: [Int]) {
        marginals(confusion(weights))
    }

    /// Row and column sums of a confusion matrix `[predicted · classes + true]`.
    private func marginals(_ counts: [Int]) -> (predicted: [Int], truth: [Int]) {
        let predicted = (0..<classes).map { c in (0..<classes).reduce(0) { $0 + counts[c * classes + $1] } }
        let truth = (0..<classes).map { c in (0..<classes).reduce(0) { $0 + counts[$1 * classes + c] } }
        return (predicted, truth)
    }

    /// Factors under which every small class gets its true volume, found by damped multiplicative updates of
    /// the factors on the volume ratios. Soft Dice weighs a class's voxels by the inverse of its volume, so
    /// only the small classes are inflated by it: classes holding more than `maximumShare` of the labelled
    /// foreground, or fewer than `minimumVoxels` voxels, and the background keep 1. `partners[c]` is the
    /// class whose factor `c` shares (its other-hemisphere twin), pooling their volumes so that the factors
    /// stay as symmetric as the network.
    public func fitVolumes(partners: [Int], maximumShare: Double = 0.01, iterations: Int = 80, minimumVoxels: Int = 500) -> ClassWeights {
        precondition(partners.count == classes && partners.allSatisfy { $0 >= 0 && $0 < partners.count }, "one partner per class")
        var logFactors = [Float](repeating: 0, count: classes)
        let truth = volumes(ClassWeights(factors: [Float](repeating: 1, count: classes))).truth
        let foreground = Double(truth.dropFirst().reduce(0, +))
        for iteration in 0..<iterations {
            let predicted = volumes(ClassWeights(factors: logFactors.map { exp($0) })).predicted
            let step: Float = 0.5 / (1 + Float(iteration) / 20)
            for c in 1..<classes {
                let pair = partners[c] == c ? [c] : [c, partners[c]]
                let (pairTruth, pairPredicted) = (pair.reduce(0) { $0 + truth[$1] }, pair.reduce(0) { $0 + predicted[$1] })
                guard pairTruth >= minimumVoxels * pair.count,
                      Double(pairTruth) <= maximumShare * Double(pair.count) * foreground else { continue }
                let ratio = log(Float(pairTruth) + 1) - log(Float(pairPredicted) + 1)
                logFactors[c] = min(Self.logFactorLimit, max(-Self.logFactorLimit, logFactors[c] + step * ratio))
            }
        }
        return ClassWeights(factors: logFactors.map { exp($0) })
    }
}
