import Spiking
import Tensor
import Testing

@Test func zeroCountAndSilentSlotFractionsFollowTheBitwiseCode() {
    var statistics = SpikeStatistics(maxCount: 4)
    // maxCount 4 → 3 bits per count: 0 = 000, 1 = 001, 3 = 011, 4 = 100, −2 = |010|.
    statistics.record(Tensor(shape: [5], scalars: [0, 1, 3, 4, -2]))
    #expect(statistics.bitsPerCount == 3)
    #expect(statistics.zeroCountFraction == 0.2)
    #expect(statistics.spikes == 10)
    #expect(statistics.silentSlots == 3 + 2 + 1 + 2 + 2)
    #expect(abs(statistics.silentSlotFraction - 10.0 / 15) < 1e-12)
}

@Test func energyEstimateComparesMACsWithSynapticOperations() {
    var statistics = SpikeStatistics(maxCount: 8)
    statistics.record(Tensor(shape: [4], scalars: [0, 0, 1, 2]))
    let counts = OperationCounts(convolutionSize: 3, outputChannels: 2, statistics: statistics)
    #expect(counts.multiplyAccumulates == 4 * 54)
    #expect(counts.synapticOperations == 3 * 54)
    let energy = EnergyEstimate(counts, precision: .fp32)
    #expect(abs(energy.densePicojoules - 216 * 4.6) < 1e-9)
    #expect(abs(energy.spikingPicojoules - 162 * 0.9) < 1e-9)
}

@Test func mergedStatisticsEqualOneRecordOfAllCounts() {
    let first = Tensor(shape: [4], scalars: [0, 1, 5, 8])
    let second = Tensor(shape: [3], scalars: [0, 0, 3])
    var separate = SpikeStatistics(maxCount: 8)
    separate.record(first)
    var other = SpikeStatistics(maxCount: 8)
    other.record(second)
    separate.merge(other)
    var together = SpikeStatistics(maxCount: 8)
    together.record(Tensor(shape: [7], scalars: first.scalars + second.scalars))
    #expect(separate == together)
}

@Test func recordingALayersOutputCountsTheSpikesBehindIt() {
    let threshold = Tensor(shape: [3], scalars: [0.37, 1.9, 0.011])
    let counts: [Float] = [0, 3, 8, 1, 0, 0, 7, 2, 5, 8, 8, 4]
    let output = Tensor(shape: [2, 2, 3], scalars: counts.indices.map { counts[$0] * threshold.scalars[$0 % 3] })
    var fromOutput = SpikeStatistics(maxCount: 8)
    fromOutput.record(output: output, threshold: threshold)
    var fromCounts = SpikeStatistics(maxCount: 8)
    fromCounts.record(Tensor(shape: [12], scalars: counts))
    #expect(fromOutput == fromCounts)
    #expect(fromOutput.spikes == 46 && fromOutput.zeroCounts == 3)
}
