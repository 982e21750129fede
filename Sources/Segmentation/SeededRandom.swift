import Foundation

/// A reproducible pseudo-random generator (xoshiro256**, state filled by SplitMix64 from a 64-bit seed):
/// the same seed gives the same numbers on every machine and run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareBits: UInt64 = 0
    private var spareDraws = 0

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

    /// Standard normal in single precision for per-voxel noise: 16 random bits pick one of 65,536
    /// equally likely values (the normal quantiles at the bins' centres, so |value| ≤ 4.2); one 64-bit
    /// draw serves four calls.
    public mutating func normalFloat() -> Float {
        if spareDraws == 0 {
            spareBits = next()
            spareDraws = 4
        }
        let index = Int(truncatingIfNeeded: spareBits & 0xFFFF)
        spareBits >>= 16
        spareDraws -= 1
        return SeededRandom.normalQuantiles[index]
    }

    private static let normalQuantiles: [Float] = (0..<65_536).map { Float(inverseNormalCDF((Double($0) + 0.5) / 65_536)) }

    /// Φ⁻¹(p) for p in (0, 1), Acklam's rational approximation (relative error below 1.2 × 10⁻⁹).
    static func inverseNormalCDF(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let low = 0.02425
        if p < low { return tail((-2 * log(p)).squareRoot()) }
        if p > 1 - low { return -tail((-2 * log(1 - p)).squareRoot()) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
