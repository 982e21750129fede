import Dispatch

/// Result slots filled by concurrent workers, each index written by exactly one worker.
final class ParallelResults<Element>: @unchecked Sendable {
    private var storage: [Element?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    /// Runs `body` for every index on all cores and returns the results in index order.
    static func map(_ count: Int, _ body: @Sendable (Int) -> Element) -> [Element] {
        let results = ParallelResults(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            results.storage[index] = body(index)
        }
        return results.storage.map { $0! }
    }
}
