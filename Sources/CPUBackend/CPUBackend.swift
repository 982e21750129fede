import CKernels
import Dispatch
import Tensor

/// The reference backend: plain Swift loops, OpenBLAS `sgemm`, and Dispatch across `threadCount` cores.
///
/// Scratch memory (im2col tiles, per-thread partial sums) lives in the backend and is reused from call
/// to call, so a training loop does not allocate in its hot loops. One backend serves one thread of
/// control at a time.
public final class CPUBackend: TrainingBackend {
    /// Worker threads for the parallel kernels.
    public let threadCount: Int
    var scratch: [ScratchBuffer<Float>]
    /// Zero-padded input slabs of the direct convolution kernels, one per worker.
    let paddedSlabs: [ScratchBuffer<Float>]
    /// Spike events of the event-driven convolution.
    let events = ScratchBuffer<ns_spike_event>()

    public init(threadCount: Int = 2) {
        precondition(threadCount > 0, "threadCount must be positive")
        self.threadCount = threadCount
        scratch = (0..<threadCount).map { _ in ScratchBuffer<Float>() }
        paddedSlabs = (0..<threadCount).map { _ in ScratchBuffer<Float>() }
        BLAS.setThreadCount(1)
    }

    public var name: String { "cpu (\(threadCount) thread\(threadCount == 1 ? "" : "s"))" }

    /// Host memory bounds tensors, not a buffer limit.
    public var maxTensorBytes: Int { .max }

    /// Runs `body(worker)` for `workers` workers, on separate cores when there is more than one.
    /// The kernels give each worker disjoint output memory, which is what makes sharing `body` sound.
    func parallel(_ workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(value: body)
            DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
        }
    }

    /// Runs `body` on contiguous shares of `count` rows, one share per worker; small jobs (under about
    /// 64 K values, `rowWidth` values a row) stay on the calling thread.
    func parallelRows(_ count: Int, rowWidth: Int, _ body: (_ worker: Int, _ rows: Range<Int>) -> Void) {
        let workers = count * rowWidth >= 1 << 16 ? min(threadCount, count) : 1
        parallel(workers) { worker in body(worker, share(worker, of: workers, count: count)) }
    }

    /// The `[start, end)` share of `count` items for `worker` out of `workers`.
    func share(_ worker: Int, of workers: Int, count: Int) -> Range<Int> {
        (worker * count / workers)..<((worker + 1) * count / workers)
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul takes 2-D operands, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == (transposeB ? b.shape[1] : b.shape[0]), "matmul inner extents differ: \(a.shape) · \(b.shape)")
        let workers = m * n * k >= 1 << 18 ? min(threadCount, m) : 1
        let result = makeArray(count: m * n) { c in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    parallel(workers) { worker in
                        let rows = share(worker, of: workers, count: m)
                        guard !rows.isEmpty else { return }
                        let aStart = transposeA ? rows.lowerBound : rows.lowerBound * a.shape[1]
                        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k,
                                   a: pa.baseAddress! + aStart, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                                   beta: 0, c: c + rows.lowerBound * n, ldc: n)
                    }
                }
            }
        }
        return Tensor(shape: [m, n], scalars: result)
    }
}

/// A value handed to concurrent workers that only touch disjoint parts of it.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// Grow-only scratch memory (one per worker thread, or one per kernel that runs its workers on disjoint parts).
final class ScratchBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = .allocate(capacity: 1)
    }

    /// At least `count` elements, contents unspecified.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            pointer.deallocate()
            pointer = .allocate(capacity: count)
            capacity = count
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

/// Calls `body` with the base address of each tensor's values, valid only inside `body`.
func withPointers<Result>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> Result) -> Result {
    func nest(_ index: Int, _ collected: [UnsafePointer<Float>]) -> Result {
        guard index < tensors.count else { return body(collected) }
        return tensors[index].scalars.withUnsafeBufferPointer { nest(index + 1, collected + [$0.baseAddress!]) }
    }
    return nest(0, [])
}

/// A new array of `count` floats that `fill` initialises completely.
func makeArray(count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0 { fill(buffer.baseAddress!) }
        initialized = count
    }
}

/// A new zero-filled array of `count` floats that `update` then adds into.
func makeZeroArray(count: Int, _ update: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    makeArray(count: count) { pointer in
        pointer.initialize(repeating: 0, count: count)
        update(pointer)
    }
}
