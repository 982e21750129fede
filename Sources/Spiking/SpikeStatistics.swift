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
        for value in counts.scalars {
            let magnitude = Int(abs(value))
            precondition(magnitude.leadingZeroBitCount >= Int.bitWidth - bitsPerCount, "count \(value) exceeds \(bitsPerCount) bits")
            activations += 1
            zeroCounts += magnitude == 0 ? 1 : 0
            spikes += magnitude
            silentSlots += bitsPerCount - magnitude.nonzeroBitCount
            slots += bitsPerCount
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
