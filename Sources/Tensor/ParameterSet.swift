import Foundation

/// A model's named parameters, in creation order: what the optimiser updates and what a checkpoint stores.
public final class ParameterSet {
    public private(set) var names: [String] = []
    private var byName: [String: Variable] = [:]

    public init() {}

    /// All parameters in creation order.
    public var variables: [Variable] { names.map { byName[$0]! } }

    public subscript(name: String) -> Variable? { byName[name] }

    /// Registers a parameter; names are unique.
    @discardableResult
    public func add(_ name: String, _ value: Tensor) -> Variable {
        precondition(byName[name] == nil, "parameter '\(name)' defined twice")
        let variable = Variable(value, requiresGradient: true)
        names.append(name)
        byName[name] = variable
        return variable
    }

    /// A weight drawn from N(0, 2 / fanIn) (He initialisation, for ReLU-like activations).
    @discardableResult
    public func he(_ name: String, shape: [Int], fanIn: Int, using generator: inout SeededGenerator) -> Variable {
        add(name, Tensor.randomNormal(shape: shape, standardDeviation: (2 / Float(fanIn)).squareRoot(), using: &generator))
    }

    /// A weight drawn from N(0, σ²).
    @discardableResult
    public func normal(_ name: String, shape: [Int], standardDeviation: Float, using generator: inout SeededGenerator) -> Variable {
        add(name, Tensor.randomNormal(shape: shape, standardDeviation: standardDeviation, using: &generator))
    }

    @discardableResult
    public func constant(_ name: String, shape: [Int], value: Float) -> Variable {
        add(name, Tensor(repeating: value, shape: shape))
    }

    /// Values by name, for `Safetensors.write`.
    public var tensors: [String: Tensor] { byName.mapValues(\.value) }

    /// Replaces every parameter's value from `tensors`; throws when one is missing or has another shape.
    public func load(_ tensors: [String: Tensor]) throws {
        for name in names {
            guard let tensor = tensors[name] else { throw ParameterError("checkpoint has no tensor '\(name)'") }
            guard tensor.shape == byName[name]!.shape else {
                throw ParameterError("tensor '\(name)' has shape \(tensor.shape), the model needs \(byName[name]!.shape)")
            }
            byName[name]!.value = tensor
        }
    }
}

/// A checkpoint that does not fit the model.
public struct ParameterError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
