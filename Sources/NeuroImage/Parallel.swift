import Dispatch

/// Work split over all cores with Dispatch; the results do not depend on how the work is scheduled.
///
/// The closures are not required to be `Sendable`: the caller guarantees that concurrent iterations only
/// read shared data and write disjoint elements.
public enum Parallel {
    /// Calls `body` once for every index in `0..<count`, concurrently.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { shared.value($0) }
        }
    }

    /// Runs `body` for every index in `0..<count` concurrently and returns the results in index order.
    public static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        let slots = makeArray(count: count, repeating: T?.none, chunks: count) { index, output in
            output[index] = body(index)
        }
        return slots.map { $0! }
    }

    /// An array of `count` elements made in `chunks` concurrent pieces: `body(chunk, output)` writes only
    /// the elements of its own chunk (the caller decides which elements a chunk owns).
    public static func makeArray<T>(count: Int, repeating initial: T, chunks: Int,
                                    _ body: (Int, UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
        var result = [T](repeating: initial, count: count)
        result.withUnsafeMutableBufferPointer { buffer in
            let output = buffer
            forEach(chunks) { body($0, output) }
        }
        return result
    }
}

/// A value handed to concurrent workers under the guarantee stated on `Parallel`.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
