import Foundation

/// Sharpens the network's posteriors with the 1 mm image. The network sees the scan at 2 mm, so its
/// boundaries are interpolated; the image still has them. One Gaussian intensity model per class is fitted
/// on the scan itself (an EM M-step: voxels weighted by their posterior where it exceeds 0.5), and each
/// voxel takes `argmax_c log p_c + weight · log N(I; μ_c, σ_c)` over the classes whose posterior reaches
/// `candidateFloor`. Intensity thus only decides between classes the network already considers there.
public struct IntensityRefinement: Sendable, Equatable, CustomStringConvertible {
    /// How much the intensity log-likelihood counts against the log posterior.
    public let weight: Float
    /// Interpolated posterior a class needs at a voxel to be chosen there.
    public let candidateFloor: Float

    /// Settings that make sense: a floor above 0.5 would leave only the network's own argmax as a candidate.
    public static func accepts(weight: Float, candidateFloor: Float) -> Bool {
        weight >= 0 && candidateFloor > 0 && candidateFloor <= 0.5
    }

    public init(weight: Float, candidateFloor: Float) {
        precondition(Self.accepts(weight: weight, candidateFloor: candidateFloor), "weight ≥ 0, floor in (0, 0.5]")
        self.weight = weight
        self.candidateFloor = candidateFloor
    }

    /// For provenance (`run.json`, validation summaries).
    public var description: String { "weight \(weight), candidate floor \(candidateFloor)" }

    /// Posterior above which a voxel counts towards its class's intensity model.
    static let fitThreshold: Float = 0.5
    /// Posterior mass a class needs on the scan to get a model; classes without one are neutral.
    static let minimumFitWeight = 50.0
    /// Smallest standard deviation of a class model, in conformed intensity units (0…1).
    static let minimumSigma = 0.02

    /// Posterior-weighted intensity moments per class.
    struct Moments {
        var weights: [Double]
        var sums: [Double]
        var squares: [Double]

        init(classes: Int) {
            weights = [Double](repeating: 0, count: classes)
            sums = weights
            squares = weights
        }

        /// Background (class 0) is left out: outside the brain it is air, bone, scalp and neck at once.
        mutating func add(intensity: Float, posteriors: UnsafeMutableBufferPointer<Float>) {
            let value = Double(intensity)
            for c in 1..<posteriors.count where posteriors[c] > IntensityRefinement.fitThreshold {
                let w = Double(posteriors[c])
                weights[c] += w
                sums[c] += w * value
                squares[c] += w * value * value
            }
        }

        func merged(_ other: Moments) -> Moments {
            var result = self
            for c in weights.indices {
                result.weights[c] += other.weights[c]
                result.sums[c] += other.sums[c]
                result.squares[c] += other.squares[c]
            }
            return result
        }
    }

    /// The fitted class models, ready for the per-voxel decision.
    struct Likelihoods {
        let means: [Float]
        let inverseVariances: [Float]
        let logSigmas: [Float]
        let fitted: [Bool]
        let weight: Float
        let floor: Float

        /// A class without a model scores as well as the best-fitting candidate, so intensity never argues
        /// for or against it.
        func mostProbable(posteriors: UnsafeMutableBufferPointer<Float>, intensity: Float) -> Int {
            var best = 0
            for c in 1..<posteriors.count where posteriors[c] > posteriors[best] { best = c }
            guard posteriors[best] <= 1 - floor else { return best }
            var bestFit = -Float.infinity
            for c in 0..<posteriors.count where posteriors[c] >= floor && fitted[c] {
                bestFit = max(bestFit, logLikelihood(c, intensity))
            }
            guard bestFit > -Float.infinity else { return best }
            var bestScore = -Float.infinity
            var chosen = best
            for c in 0..<posteriors.count where posteriors[c] >= floor {
                let score = log(posteriors[c]) + weight * (fitted[c] ? logLikelihood(c, intensity) : bestFit)
                if score > bestScore { (bestScore, chosen) = (score, c) }
            }
            return chosen
        }

        private func logLikelihood(_ c: Int, _ intensity: Float) -> Float {
            let d = intensity - means[c]
            return -0.5 * d * d * inverseVariances[c] - logSigmas[c]
        }
    }

    func fit(_ moments: Moments) -> Likelihoods {
        let classes = moments.weights.count
        var means = [Float](repeating: 0, count: classes), inverseVariances = means, logSigmas = means
        var fitted = [Bool](repeating: false, count: classes)
        for c in 0..<classes where moments.weights[c] >= Self.minimumFitWeight {
            let mean = moments.sums[c] / moments.weights[c]
            let variance = max(moments.squares[c] / moments.weights[c] - mean * mean, Self.minimumSigma * Self.minimumSigma)
            means[c] = Float(mean)
            inverseVariances[c] = Float(1 / variance)
            logSigmas[c] = Float(0.5 * log(variance))
            fitted[c] = true
        }
        return Likelihoods(means: means, inverseVariances: inverseVariances, logSigmas: logSigmas, fitted: fitted,
                           weight: weight, floor: candidateFloor)
    }
}
