/// A tensor in a computation: its value and, after `Graph.backward`, the gradient of the loss with respect to it.
public final class Variable {
    public var value: Tensor
    /// dLoss/dvalue, accumulated over all uses; nil until a backward pass reaches it.
    public var grad: Tensor?
    /// Parameters and inputs that want gradients say so; results of ops inherit it from their operands.
    public let requiresGradient: Bool

    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
    }

    public var shape: [Int] { value.shape }

    func accumulate(_ gradient: Tensor) {
        precondition(gradient.shape == value.shape, "gradient \(gradient.shape) for a value of shape \(value.shape)")
        if var existing = grad {
            existing.scalars.withUnsafeMutableBufferPointer { sum in
                gradient.scalars.withUnsafeBufferPointer { g in
                    for index in sum.indices { sum[index] += g[index] }
                }
            }
            grad = existing
        } else {
            grad = gradient
        }
    }
}

/// Reverse-mode automatic differentiation: each op runs on the backend at once and, when an operand
/// wants gradients, appends its backward step to a tape; `backward(loss)` replays the tape in reverse.
///
/// Build a fresh tape per training step (or call `reset()`); with `isRecording` false nothing is kept
/// (inference).
public final class Graph {
    public let backend: any Backend
    /// Whether ops record their backward steps.
    public var isRecording: Bool
    private var tape: [() -> Void] = []

    public init(backend: any Backend, isRecording: Bool = true) {
        self.backend = backend
        self.isRecording = isRecording
    }

    /// The backend's backward kernels; training on a forward-only backend is a programmer error.
    var trainer: any TrainingBackend {
        guard let trainer = backend as? any TrainingBackend else {
            preconditionFailure("backend \(backend.name) has no backward kernels")
        }
        return trainer
    }

    /// Number of recorded backward steps.
    public var tapeLength: Int { tape.count }

    /// Wraps an op's result; when an operand wants gradients, records `backward(gradOutput)` for replay.
    func result(_ value: Tensor, of inputs: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        let wantsGradient = isRecording && inputs.contains { $0.requiresGradient }
        let output = Variable(value, requiresGradient: wantsGradient)
        if wantsGradient {
            tape.append {
                if let gradient = output.grad { backward(gradient) }
            }
        }
        return output
    }

    /// Seeds dLoss/dLoss = 1 and runs every recorded step in reverse order, then clears the tape.
    public func backward(_ loss: Variable) {
        precondition(loss.value.count == 1, "backward from a loss with \(loss.value.count) values")
        loss.accumulate(Tensor(repeating: 1, shape: loss.shape))
        for step in tape.reversed() { step() }
        reset()
    }

    /// Forgets the recorded steps (and the intermediate values they held).
    public func reset() {
        tape.removeAll(keepingCapacity: true)
    }
}
