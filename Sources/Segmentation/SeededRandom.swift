import Foundation

/// A reproducible pseudo-random generator (xoshiro256**, state filled by SplitMix64 from a 64-bit seed):
/// the same seed gives the same numbers on every machine and run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Float?

    public init(seed: UInt64) {
        var mixer = seed
        s0 = SeededRandom.splitMix(&mixer)
        s1 = SeededRandom.splitMix(&mixer)
        s2 = SeededRandom.splitMix(&mixer)
        s3 = SeededRandom.splitMix(&mixer)
    }

    /// An independent stream for one purpose (`stream`) of the work seeded by `seed`.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: SeededRandom.derive(seed, stream))
    }

    /// A well-mixed seed made from two numbers (e.g. a run's seed and a sample's index).
    public static func derive(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var mixer = a ^ (b &* 0xD6E8_FEB8_6659_FD93)
        _ = splitMix(&mixer)
        return splitMix(&mixer)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Uniform in `-bound…bound`.
    public mutating func symmetric(_ bound: Double) -> Double { bound * (2 * uniform() - 1) }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// An integer in `0..<count`.
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "nothing to choose from")
        return Int(next() % UInt64(count))
    }

    /// Standard normal (mean 0, std 1), Box–Muller in double precision.
    public mutating func normal() -> Double {
        let u = 1 - uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * uniform())
    }

    /// Standard normal in single precision (Box–Muller, both values of a pair used): the per-voxel draw.
    public mutating func normalFloat() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u = Float(next() >> 40) * 0x1p-24 + 0x1p-25
        let angle = Float(next() >> 40) * (0x1p-24 * 2 * Float.pi)
        let radius = (-2 * logf(u)).squareRoot()
        spareNormal = radius * sinf(angle)
        return radius * cosf(angle)
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
