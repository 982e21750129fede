/// Percentiles of large arrays from a fine histogram (65,536 bins between the minimum and the maximum,
/// linear within a bin): one pass, no sorting; the error is below (max − min) / 65,536.
public enum Percentiles {
    /// The value below which `percent` % of `values` lie, for each requested percent (0…100).
    /// Non-finite values are ignored; an empty or all-non-finite input gives zeros.
    public static func of(_ values: [Float], _ percents: [Double]) -> [Double] {
        var low = Float.infinity, high = -Float.infinity
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        guard low <= high else { return percents.map { _ in 0 } }
        guard low < high else { return percents.map { _ in Double(low) } }
        let bins = 65_536
        let scale = Float(bins) / (high - low)
        var histogram = [Int](repeating: 0, count: bins)
        var total = 0
        for value in values where value.isFinite {
            histogram[min(Int((value - low) * scale), bins - 1)] += 1
            total += 1
        }
        let width = Double(high - low) / Double(bins)
        return percents.map { percent in
            let rank = min(max(percent, 0), 100) / 100 * Double(total)
            var below = 0
            for (bin, count) in histogram.enumerated() where count > 0 {
                if Double(below + count) >= rank {
                    let within = (rank - Double(below)) / Double(count)
                    return Double(low) + (Double(bin) + within) * width
                }
                below += count
            }
            return Double(high)
        }
    }
}
