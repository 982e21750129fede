import Tensor
import VulkanBackend

/// One backend op on fixed random operands. Running it on two backends and comparing the outputs is a
/// parity check; the CPU backend is the reference.
public struct ParityCase: Sendable, CustomStringConvertible {
    public let name: String
    /// Outputs are integers (spike counts, labels) and must be equal, not merely close.
    public let exact: Bool
    public let run: @Sendable (any Backend) -> [Tensor]

    public init(_ name: String, exact: Bool = false, run: @escaping @Sendable (any Backend) -> [Tensor]) {
        self.name = name
        self.exact = exact
        self.run = run
    }

    public var description: String { name }

    /// Largest allowed `|candidate − reference|` relative to `max(1, max |reference|)` for fp32 outputs.
    public static let tolerance: Float = 1e-4

    /// Runs the op on both backends and measures the largest relative difference over all outputs.
    public func check(reference: any Backend, candidate: any Backend) -> ParityResult {
        let expected = run(reference), actual = run(candidate)
        precondition(expected.count == actual.count, "\(name): output counts differ")
        var error: Float = 0
        for (e, a) in zip(expected, actual) {
            precondition(e.shape == a.shape, "\(name): shapes \(e.shape) and \(a.shape) differ")
            let scale = max(1, e.scalars.reduce(0) { max($0, abs($1)) })
            error = max(error, e.maxAbsDifference(a) / scale)
        }
        return ParityResult(name: name, relativeError: error, passed: exact ? error == 0 : error <= Self.tolerance)
    }
}

/// The outcome of one parity check.
public struct ParityResult: Sendable {
    public let name: String
    /// Largest `|candidate − reference| / max(1, max |reference|)` over all outputs.
    public let relativeError: Float
    public let passed: Bool
}

/// Labels (index of the largest class score, first on ties) of `[…, classes]` scores: on the device for
/// the Vulkan backend, which has an argmax kernel, on the host otherwise.
public func labels(_ scores: Tensor, on backend: any Backend) -> [Int32] {
    if let vulkan = backend as? VulkanBackend { return vulkan.argmax(scores) }
    let width = scores.shape.last ?? 1
    return stride(from: 0, to: scores.count, by: width).map { row in
        var best = 0
        for column in 1..<width where scores.scalars[row + column] > scores.scalars[row + best] { best = column }
        return Int32(best)
    }
}

/// Share of positions where two label maps of the same length agree (0…1).
public func labelAgreement<Label: Equatable>(_ a: [Label], _ b: [Label]) -> Double {
    precondition(a.count == b.count && !a.isEmpty, "label maps must be non-empty and of equal length")
    return Double(zip(a, b).filter { $0 == $1 }.count) / Double(a.count)
}
