import Foundation

/// Losses over `[rows, classes]` scores with one integer label per row (voxels of an NDHWC volume
/// flattened, or tokens).
extension Graph {
    /// Mean cross-entropy of softmax(logits) against `labels`.
    public func crossEntropy(logits: Variable, labels: [Int32]) -> Variable {
        let classes = logits.shape.last ?? 0
        precondition(logits.value.count == labels.count * classes, "\(labels.count) labels for logits \(logits.shape)")
        let probabilities = backend.softmax(logits.value)
        var loss: Double = 0
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && Int(label) < classes, "label \(label) outside \(classes) classes")
            loss -= Foundation.log(Double(max(probabilities.scalars[row * classes + Int(label)], .leastNormalMagnitude)))
        }
        let rows = Float(labels.count)
        return result(Tensor(scalar: Float(loss) / rows), of: [logits]) { g in
            var gradient = probabilities
            for (row, label) in labels.enumerated() { gradient.scalars[row * classes + Int(label)] -= 1 }
            let scale = g.scalar / rows
            for index in gradient.scalars.indices { gradient.scalars[index] *= scale }
            logits.accumulate(gradient.reshaped(logits.shape))
        }
    }

    /// Soft Dice loss `1 − mean_c (2·Σ p·y + ε) / (Σ p + Σ y + ε)` of class probabilities against one-hot labels.
    public func softDiceLoss(probabilities: Variable, labels: [Int32], epsilon: Float = 1) -> Variable {
        let classes = probabilities.shape.last ?? 0
        precondition(probabilities.value.count == labels.count * classes, "\(labels.count) labels for \(probabilities.shape)")
        var intersection = [Double](repeating: 0, count: classes), predicted = intersection, actual = intersection
        for (row, label) in labels.enumerated() {
            for c in 0..<classes { predicted[c] += Double(probabilities.value.scalars[row * classes + c]) }
            intersection[Int(label)] += Double(probabilities.value.scalars[row * classes + Int(label)])
            actual[Int(label)] += 1
        }
        let e = Double(epsilon)
        let dice = (0..<classes).map { (2 * intersection[$0] + e) / (predicted[$0] + actual[$0] + e) }
        let loss = 1 - dice.reduce(0, +) / Double(classes)
        return result(Tensor(scalar: Float(loss)), of: [probabilities]) { g in
            // ∂dice_c/∂p[r, c] = (2·y[r, c] − dice_c) / (Σp_c + Σy_c + ε)
            let denominators = (0..<classes).map { predicted[$0] + actual[$0] + e }
            var gradient = Tensor(zeros: probabilities.shape)
            let scale = -Double(g.scalar) / Double(classes)
            for (row, label) in labels.enumerated() {
                for c in 0..<classes {
                    let target: Double = Int(label) == c ? 2 : 0
                    gradient.scalars[row * classes + c] = Float(scale * (target - dice[c]) / denominators[c])
                }
            }
            probabilities.accumulate(gradient)
        }
    }
}
