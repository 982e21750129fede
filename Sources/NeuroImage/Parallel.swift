import Dispatch

/// Work spread over all cores.
public enum Parallel {
    /// Runs `body` for every index in 0..<count concurrently and returns the results in index order.
    public static func map<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let slots = Slots<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            slots.store(index, body(index))
        }
        return slots.take()
    }
}

/// One result slot per index; each slot is written by exactly one worker, so no lock is needed.
private final class Slots<T>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    func store(_ index: Int, _ value: T) { buffer[index] = value }

    func take() -> [T] { buffer.map { $0! } }
}
