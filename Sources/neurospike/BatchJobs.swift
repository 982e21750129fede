import Foundation

/// Runs the items of a batch on a few jobs at once, each job with its own worker (a segmenter and its
/// backend), so memory stays bounded at one item per job and no worker is shared between threads.
enum BatchJobs {
    /// CPU threads for each of `jobs` concurrent jobs: the cores shared out evenly, at least one each.
    static func threadsPerJob(_ jobs: Int) -> Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount / max(jobs, 1))
    }

    /// Calls `body(worker, index)` for every index in `0..<count`, on one thread per worker (the calling
    /// thread when there is one worker); results come back in index order whatever the schedule. Each
    /// worker is used by one thread only, which is what makes handing a non-Sendable worker over sound.
    static func run<Worker, Result: Sendable>(count: Int, workers: [Worker],
                                              _ body: @escaping @Sendable (Worker, Int) -> Result) -> [Result] {
        precondition(!workers.isEmpty, "a batch needs at least one worker")
        if workers.count == 1 || count <= 1 { return (0..<count).map { body(workers[0], $0) } }
        let queue = WorkQueue<Result>(count: count)
        let finished = DispatchGroup()
        for worker in workers.prefix(count) {
            let owned = Handover(worker)
            finished.enter()
            let thread = Thread {
                while let index = queue.next() { queue.store(body(owned.value, index), at: index) }
                finished.leave()
            }
            // The main thread's size: deep recursion that works without --jobs must work with it.
            thread.stackSize = 8 << 20
            thread.start()
        }
        finished.wait()
        return queue.results()
    }
}

/// Hands the next undone index to whichever job asks and keeps the results by index.
private final class WorkQueue<Result: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var slots: [Result?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < slots.count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func store(_ result: Result, at index: Int) { lock.withLock { slots[index] = result } }

    func results() -> [Result] { lock.withLock { slots.map { $0! } } }
}

/// A worker moved to the one thread that uses it from then on.
private struct Handover<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
