import Foundation

/// AdamW (Loshchilov & Hutter): Adam moments with weight decay applied to the weights directly.
///
/// Weight decay applies to parameters of rank ≥ 2 (kernels, projections, embeddings), not to biases,
/// norm gains or thresholds.
public final class AdamW {
    public let parameters: [Variable]
    public var learningRate: Float
    public let beta1, beta2, epsilon, weightDecay: Float
    /// Updates taken so far (the bias-correction exponent).
    public private(set) var stepCount = 0
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    public init(parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        precondition(parameters.allSatisfy(\.requiresGradient), "AdamW parameters must require gradients")
        self.parameters = parameters
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.epsilon, self.weightDecay) = (beta1, beta2, epsilon, weightDecay)
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = firstMoments
    }

    /// One update from the current gradients (parameters without one are left alone), then clears them.
    public func step() {
        stepCount += 1
        let correction1 = 1 - pow(beta1, Float(stepCount)), correction2 = 1 - pow(beta2, Float(stepCount))
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            let decay = parameter.value.rank >= 2 ? 1 - learningRate * weightDecay : 1
            let (b1, b2, eps, lr) = (beta1, beta2, epsilon, learningRate)
            firstMoments[index].withUnsafeMutableBufferPointer { m in
                secondMoments[index].withUnsafeMutableBufferPointer { v in
                    parameter.value.scalars.withUnsafeMutableBufferPointer { w in
                        gradient.scalars.withUnsafeBufferPointer { g in
                            for i in w.indices {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                w[i] = w[i] * decay - lr * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            parameter.grad = nil
        }
    }
}

/// Scales all gradients together so that their global L2 norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float) -> Float {
    let squares = parameters.compactMap(\.grad).reduce(0.0) { total, gradient in
        gradient.scalars.reduce(total) { $0 + Double($1) * Double($1) }
    }
    let norm = Float(squares.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / norm
        for parameter in parameters {
            guard var gradient = parameter.grad else { continue }
            for index in gradient.scalars.indices { gradient.scalars[index] *= scale }
            parameter.grad = gradient
        }
    }
    return norm
}

/// Learning rate as a function of the update index (0-based).
public enum LearningRateSchedule: Sendable {
    case constant(Float)
    /// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `floor` at `totalSteps`.
    case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, floor: Float)
    /// `initial · factor^(step / every)`.
    case stepDecay(initial: Float, factor: Float, every: Int)

    public func rate(at step: Int) -> Float {
        switch self {
        case .constant(let rate):
            return rate
        case let .warmupCosine(peak, warmupSteps, totalSteps, floor):
            if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
            let progress = min(1, Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps)))
            return floor + (peak - floor) * 0.5 * (1 + cos(Float.pi * progress))
        case let .stepDecay(initial, factor, every):
            return initial * pow(factor, Float(step / max(1, every)))
        }
    }
}
