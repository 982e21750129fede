import Tensor

/// Sparsity of spike counts, with the two figures DESIGN.md names.
///
/// A count `s` (0…`maxCount`, or signed for the language model: its magnitude) expands into a bitwise
/// train of `bitsPerCount` slots (the bits of `s`, MSB first); a slot is silent when its bit is 0.
public struct SpikeStatistics: Sendable, Equatable {
    public private(set) var activations = 0
    public private(set) var zeroCounts = 0
    /// Σ |s|: the number of spikes in the binary (unary) code.
    public private(set) var spikes = 0
    public private(set) var silentSlots = 0
    public private(set) var slots = 0
    public let bitsPerCount: Int

    /// Statistics of counts that never exceed `maxCount` in magnitude.
    public init(maxCount: Int) {
        precondition(maxCount > 0, "maxCount must be positive")
        bitsPerCount = Int.bitWidth - maxCount.leadingZeroBitCount
    }

    /// Counts `counts` (integers stored as fp32) into the totals.
    public mutating func record(_ counts: Tensor) {
        var histogram = [Int](repeating: 0, count: 1 << bitsPerCount)
        for value in counts.scalars {
            let magnitude = Int(abs(value))
            precondition(magnitude < histogram.count, "count \(value) exceeds \(bitsPerCount) bits")
            histogram[magnitude] += 1
        }
        add(histogram)
    }

    /// Counts the spikes behind a spiking layer's output `θ·s` (`[…, C]`, one threshold θ > 0 per channel,
    /// counts s ≥ 0) without materialising the counts: `θ·s · (1/θ)` lies within rounding of the integer s.
    public mutating func record(output: Tensor, threshold: Tensor) {
        let channels = threshold.count
        precondition(channels > 0 && output.count % channels == 0, "output \(output.shape) does not end in \(channels) channels")
        precondition(threshold.scalars.allSatisfy { $0 > 0 }, "spike thresholds must be positive")
        let inverse = threshold.scalars.map { 1 / $0 }
        var histogram = [Int](repeating: 0, count: 1 << bitsPerCount)
        output.scalars.withUnsafeBufferPointer { values in
            histogram.withUnsafeMutableBufferPointer { histogram in
                for start in stride(from: 0, to: values.count, by: channels) {
                    for c in 0..<channels {
                        let count = Int(values[start + c] * inverse[c] + 0.5)
                        precondition(count >= 0 && count < histogram.count, "output \(values[start + c]) is not θ·s with 0 ≤ s < 2^\(bitsPerCount)")
                        histogram[count] += 1
                    }
                }
            }
        }
        add(histogram)
    }

    /// Adds `histogram[s]` activations of count magnitude s.
    private mutating func add(_ histogram: [Int]) {
        for (count, activations) in histogram.enumerated() where activations > 0 {
            self.activations += activations
            zeroCounts += count == 0 ? activations : 0
            spikes += count * activations
            silentSlots += (bitsPerCount - count.nonzeroBitCount) * activations
            slots += bitsPerCount * activations
        }
    }

    /// Adds the totals of `other` (same bits per count), e.g. the passes of one layer over several slabs.
    public mutating func merge(_ other: SpikeStatistics) {
        precondition(other.bitsPerCount == bitsPerCount, "statistics of different count widths")
        activations += other.activations
        zeroCounts += other.zeroCounts
        spikes += other.spikes
        silentSlots += other.silentSlots
        slots += other.slots
    }

    /// Share of activations whose count is 0.
    public var zeroCountFraction: Double { activations == 0 ? 0 : Double(zeroCounts) / Double(activations) }

    /// Share of silent slots in the bitwise spike train (SpikingBrain's sparsity figure).
    public var silentSlotFraction: Double { slots == 0 ? 0 : Double(silentSlots) / Double(slots) }
}

/// Operation counts of one layer, for the energy estimate of DESIGN.md.
public struct OperationCounts: Sendable, Equatable {
    /// Multiply-accumulates of the dense (ANN) layer.
    public var multiplyAccumulates: Int
    /// Synaptic operations of the spiking layer: spikes × fan-out (accumulates only).
    public var synapticOperations: Int

    /// A stride-1 "same" convolution with kernel `size`³ fed by `statistics`: dense MACs are
    /// `activations × size³ × Cout`, synaptic operations `spikes × size³ × Cout` (interior fan-out).
    public init(convolutionSize size: Int, outputChannels: Int, statistics: SpikeStatistics) {
        let fanOut = size * size * size * outputChannels
        multiplyAccumulates = statistics.activations * fanOut
        synapticOperations = statistics.spikes * fanOut
    }

    public init(multiplyAccumulates: Int, synapticOperations: Int) {
        self.multiplyAccumulates = multiplyAccumulates
        self.synapticOperations = synapticOperations
    }
}

/// An energy estimate (not a measurement) from 45 nm per-operation figures (Horowitz 2014), in picojoules.
public struct EnergyEstimate: Sendable, Equatable {
    public enum Precision: Sendable { case fp32, int8 }

    /// ANN cost: MACs × E_MAC.
    public let densePicojoules: Double
    /// SNN cost: synaptic operations × E_AC.
    public let spikingPicojoules: Double

    public init(_ counts: OperationCounts, precision: Precision) {
        let (mac, add) = precision == .fp32 ? (4.6, 0.9) : (0.23, 0.03)
        densePicojoules = Double(counts.multiplyAccumulates) * mac
        spikingPicojoules = Double(counts.synapticOperations) * add
    }

    /// How many times less energy the spiking form needs (estimated).
    public var ratio: Double { spikingPicojoules == 0 ? .infinity : densePicojoules / spikingPicojoules }
}
