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

    /// For every head and token: fills `weights` with the token's attention probabilities over its window,
    /// then calls `body(head, token, firstTokenOfWindow)`.
    private func forEachQuery(q: Tensor, k: Tensor, window: Int, weights: UnsafeMutablePointer<Float>,
                              _ body: (_ head: Int, _ token: Int, _ first: Int) -> Void) {
        let shape = HeadShape(q)
        q.scalars.withUnsafeBufferPointer { pq in
            k.scalars.withUnsafeBufferPointer { pk in
                for head in 0..<shape.heads {
                    for token in 0..<shape.tokens {
                        let first = max(0, token - window + 1)
                        attentionWeights(q: pq.baseAddress!, k: pk.baseAddress!, shape: shape, token: token, head: head,
                                         first: first, into: weights)
                        body(head, token, first)
                    }
                }
            }
        }
    }

    public func windowedAttention(q: Tensor, k: Tensor, v: Tensor, window: Int) -> Tensor {
        let shape = HeadShape(q)
        precondition(k.shape == q.shape && v.shape == q.shape && window > 0, "attention takes equal [T, H, D] q, k, v")
        let weights = scratch[0].reserve(window)
        let result = makeZeroArray(count: q.count) { output in
            v.scalars.withUnsafeBufferPointer { pv in
                forEachQuery(q: q, k: k, window: window, weights: weights) { head, token, first in
                    let out = output + shape.offset(token: token, head: head)
                    for source in first...token {
                        let value = pv.baseAddress! + shape.offset(token: source, head: head)
                        for i in 0..<shape.width { out[i] += weights[source - first] * value[i] }
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
        let weights = scratch[0].reserve(2 * window), gradWeights = weights + window
        var gq = [Float](repeating: 0, count: q.count), gk = gq, gv = gq
        q.scalars.withUnsafeBufferPointer { pq in
            k.scalars.withUnsafeBufferPointer { pk in
                v.scalars.withUnsafeBufferPointer { pv in
                    gradOutput.scalars.withUnsafeBufferPointer { pg in
                        forEachQuery(q: q, k: k, window: window, weights: weights) { head, token, first in
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
            }
        }
        return (Tensor(shape: q.shape, scalars: gq), Tensor(shape: q.shape, scalars: gk), Tensor(shape: q.shape, scalars: gv))
    }
}
