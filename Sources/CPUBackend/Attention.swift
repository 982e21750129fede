import Foundation
import Tensor

/// Extents of a `[T, H, D]` sequence of per-head vectors.
private struct HeadShape {
    let tokens, heads, width: Int

    init(_ tensor: Tensor) {
        precondition(tensor.rank == 3, "expected [tokens, heads, features], got \(tensor.shape)")
        (tokens, heads, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
    }

    func offset(token: Int, head: Int) -> Int { (token * heads + head) * width }
}

extension CPUBackend {
    public func rope(_ input: Tensor, offset: Int, inverse: Bool) -> Tensor {
        let shape = HeadShape(input)
        precondition(shape.width % 2 == 0, "RoPE needs an even head width, got \(shape.width)")
        var result = input
        result.scalars.withUnsafeMutableBufferPointer { x in
            for token in 0..<shape.tokens {
                for pair in 0..<(shape.width / 2) {
                    let frequency = pow(10_000, -2 * Double(pair) / Double(shape.width))
                    let angle = Double(offset + token) * frequency * (inverse ? -1 : 1)
                    let (cosine, sine) = (Float(cos(angle)), Float(sin(angle)))
                    for head in 0..<shape.heads {
                        let base = shape.offset(token: token, head: head) + 2 * pair
                        let (a, b) = (x[base], x[base + 1])
                        x[base] = a * cosine - b * sine
                        x[base + 1] = a * sine + b * cosine
                    }
                }
            }
        }
        return result
    }

    /// Attention probabilities of `token` over its window, into `weights` (index 0 is the window's first token).
    private func attentionWeights(q: UnsafePointer<Float>, k: UnsafePointer<Float>, shape: HeadShape, token: Int, head: Int,
                                  first: Int, into weights: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(shape.width).squareRoot()
        let query = q + shape.offset(token: token, head: head)
        var largest = -Float.infinity
        for source in first...token {
            let key = k + shape.offset(token: source, head: head)
            var dot: Float = 0
            for i in 0..<shape.width { dot += query[i] * key[i] }
            weights[source - first] = dot * scale
            largest = max(largest, dot * scale)
        }
        var sum: Float = 0
        for index in 0...(token - first) {
            weights[index] = Foundation.exp(weights[index] - largest)
            sum += weights[index]
        }
        for index in 0...(token - first) { weights[index] /= sum }
    }

    /// For every head (heads split across workers) and token: fills `weights` (the worker's scratch, at
    /// least `2·window` floats) with the token's attention probabilities over its window, then calls
    /// `body(head, token, firstTokenOfWindow, weights)`.
    private func forEachQuery(q: Tensor, k: Tensor, window: Int,
                              _ body: (_ head: Int, _ token: Int, _ first: Int, _ weights: UnsafeMutablePointer<Float>) -> Void) {
        let shape = HeadShape(q)
        let workers = min(threadCount, shape.heads)
        let buffers = (0..<workers).map { scratch[$0].reserve(2 * window) }
        withPointers([q, k]) { p in
            parallel(workers) { worker in
                for head in share(worker, of: workers, count: shape.heads) {
                    for token in 0..<shape.tokens {
                        let first = max(0, token - window + 1)
                        attentionWeights(q: p[0], k: p[1], shape: shape, token: token, head: head, first: first, into: buffers[worker])
                        body(head, token, first, buffers[worker])
                    }
                }
            }
        }
    }

    public func windowedAttention(q: Tensor, k: Tensor, v: Tensor, window: Int) -> Tensor {
        precondition(k.shape == q.shape && v.shape == q.shape, "attention takes equal [T, H, D] q, k, v")
        return cachedAttention(q: q, k: k, v: v, window: window)
    }

    /// Causal windowed attention of the last `C` positions of a sequence: q `[C, H, D]` are the queries of
    /// positions `L − C…L − 1` of k, v `[L, H, D]` (a decoder's cache followed by the new tokens). Blocks of
    /// queries go through `sgemm` against their key range, so long windows cost matrix products, not loops.
    public func cachedAttention(q: Tensor, k: Tensor, v: Tensor, window: Int) -> Tensor {
        let queries = HeadShape(q), keys = HeadShape(k)
        precondition(k.shape == v.shape && keys.heads == queries.heads && keys.width == queries.width
                     && queries.tokens <= keys.tokens && window > 0, "cached attention takes q [C, H, D], k and v [L ≥ C, H, D]")
        let (heads, width, rowStride) = (queries.heads, queries.width, queries.heads * queries.width)
        let scale = 1 / Float(width).squareRoot()
        let block = 64
        let offset = keys.tokens - queries.tokens
        let span = min(window, keys.tokens) + block
        let workers = min(threadCount, heads)
        let buffers = (0..<workers).map { scratch[$0].reserve(block * span) }
        let result = makeArray(count: q.count) { output in
            withPointers([q, k, v]) { p in
                parallel(workers) { worker in
                    let scores = buffers[worker]
                    for head in share(worker, of: workers, count: heads) {
                        for start in stride(from: 0, to: queries.tokens, by: block) {
                            let rows = min(block, queries.tokens - start)
                            let firstPosition = offset + start
                            let firstKey = max(0, firstPosition - window + 1)
                            let columns = firstPosition + rows - firstKey
                            BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: columns, k: width,
                                       a: p[0] + start * rowStride + head * width, lda: rowStride,
                                       b: p[1] + firstKey * rowStride + head * width, ldb: rowStride,
                                       beta: 0, c: scores, ldc: columns)
                            for row in 0..<rows {
                                let position = firstPosition + row
                                let line = scores + row * columns
                                let from = max(firstKey, position - window + 1) - firstKey, to = position - firstKey
                                var largest = -Float.infinity
                                for column in from...to { largest = max(largest, line[column] * scale) }
                                var sum: Float = 0
                                for column in 0..<columns {
                                    let weight = column >= from && column <= to ? Foundation.exp(line[column] * scale - largest) : 0
                                    line[column] = weight
                                    sum += weight
                                }
                                for column in from...to { line[column] /= sum }
                            }
                            BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: width, k: columns,
                                       a: scores, lda: columns, b: p[2] + firstKey * rowStride + head * width, ldb: rowStride,
                                       beta: 0, c: output + start * rowStride + head * width, ldc: rowStride)
                        }
                    }
                }
            }
        }
        return Tensor(shape: q.shape, scalars: result)
    }

    public func windowedAttentionBackward(_ gradOutput: Tensor, q: Tensor, k: Tensor, v: Tensor,
                                          window: Int) -> (q: Tensor, k: Tensor, v: Tensor) {
        let shape = HeadShape(q)
        let scale = 1 / Float(shape.width).squareRoot()
        let count = q.count
        // dq, dk, dv side by side; heads are disjoint, so workers never write the same value.
        let gradients = makeZeroArray(count: 3 * count) { gq in
            let (gk, gv) = (gq + count, gq + 2 * count)
            withPointers([q, k, v, gradOutput]) { p in
                let (pq, pk, pv, pg) = (p[0], p[1], p[2], p[3])
                forEachQuery(q: q, k: k, window: window) { head, token, first, weights in
                    let gradWeights = weights + window
                    let row = shape.offset(token: token, head: head)
                    var dot: Float = 0
                    for source in first...token {
                        let column = shape.offset(token: source, head: head)
                        var g: Float = 0
                        for i in 0..<shape.width {
                            g += pg[row + i] * pv[column + i]
                            gv[column + i] += weights[source - first] * pg[row + i]
                        }
                        gradWeights[source - first] = g
                        dot += g * weights[source - first]
                    }
                    for source in first...token {
                        let column = shape.offset(token: source, head: head)
                        let gradScore = weights[source - first] * (gradWeights[source - first] - dot) * scale
                        for i in 0..<shape.width {
                            gq[row + i] += gradScore * pk[column + i]
                            gk[column + i] += gradScore * pq[row + i]
                        }
                    }
                }
            }
        }
        let part = { (index: Int) in Tensor(shape: q.shape, scalars: Array(gradients[(index * count)..<((index + 1) * count)])) }
        return (part(0), part(1), part(2))
    }
}
