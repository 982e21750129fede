import Foundation
import Tensor

/// Shapes of one gated-linear-attention call: q, k, log-decay `[T, H, Dk]`, v `[T, H, Dv]`, state `[H, Dk, Dv]`.
private struct GLAShape {
    let tokens, heads, keyWidth, valueWidth: Int

    init(q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor) {
        precondition(q.rank == 3 && v.rank == 3, "gated linear attention takes [T, H, D] tensors")
        (tokens, heads, keyWidth, valueWidth) = (q.shape[0], q.shape[1], q.shape[2], v.shape[2])
        precondition(k.shape == q.shape && logDecay.shape == q.shape && v.shape[0] == tokens && v.shape[1] == heads,
                     "gated linear attention shapes differ: q \(q.shape), k \(k.shape), v \(v.shape), decay \(logDecay.shape)")
    }

    var stateSize: Int { keyWidth * valueWidth }
    var scale: Float { 1 / Float(keyWidth).squareRoot() }
    func key(_ token: Int, _ head: Int) -> Int { (token * heads + head) * keyWidth }
    func value(_ token: Int, _ head: Int) -> Int { (token * heads + head) * valueWidth }
}

/// `state[i, j] = exp(decay[i]) · state[i, j] + k[i] · v[j]`: one recurrent step of one head.
private func advance(_ state: UnsafeMutablePointer<Float>, decay: UnsafePointer<Float>, k: UnsafePointer<Float>,
                     v: UnsafePointer<Float>, keyWidth: Int, valueWidth: Int) {
    for i in 0..<keyWidth {
        let alpha = Foundation.exp(decay[i]), row = state + i * valueWidth
        for j in 0..<valueWidth { row[j] = alpha * row[j] + k[i] * v[j] }
    }
}

extension CPUBackend {
    public func gatedLinearAttention(q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor, initialState: Tensor?,
                                     chunkSize: Int) -> (output: Tensor, state: Tensor) {
        let shape = GLAShape(q: q, k: k, v: v, logDecay: logDecay)
        precondition(chunkSize > 0, "chunk size must be positive")
        let stateShape = [shape.heads, shape.keyWidth, shape.valueWidth]
        precondition(initialState == nil || initialState!.shape == stateShape, "state must be [H, Dk, Dv]")
        let dk = shape.keyWidth, dv = shape.valueWidth, outputCount = shape.tokens * shape.heads * dv
        let workers = min(threadCount, shape.heads)
        let buffers = (0..<workers).map { scratch[$0].reserve(chunkSize * dk) }
        // The output, then the final state (which starts as the initial one).
        let values = makeZeroArray(count: outputCount + shape.heads * shape.stateSize) { o in
            if let initialState { (o + outputCount).update(from: initialState.scalars, count: initialState.count) }
            withPointers([q, k, v, logDecay]) { p in
                let (q, k, v, d) = (p[0], p[1], p[2], p[3])
                parallel(workers) { worker in
                    let cumulative = buffers[worker]
                    for head in share(worker, of: workers, count: shape.heads) {
                        let s = o + outputCount + head * shape.stateSize
                        for start in stride(from: 0, to: shape.tokens, by: chunkSize) {
                            let length = min(chunkSize, shape.tokens - start)
                            // b_t = Σ_{u ≤ t} log α_u within the chunk; α products become exp(b_t − b_s).
                            for t in 0..<length {
                                for i in 0..<dk {
                                    cumulative[t * dk + i] = d[shape.key(start + t, head) + i] + (t > 0 ? cumulative[(t - 1) * dk + i] : 0)
                                }
                            }
                            for t in 0..<length {
                                let query = q + shape.key(start + t, head), out = o + shape.value(start + t, head)
                                let bt = cumulative + t * dk
                                for i in 0..<dk {
                                    let weight = query[i] * shape.scale * Foundation.exp(bt[i])
                                    for j in 0..<dv { out[j] += weight * s[i * dv + j] }
                                }
                                for source in 0...t {
                                    let key = k + shape.key(start + source, head), bs = cumulative + source * dk
                                    var score: Float = 0
                                    for i in 0..<dk { score += query[i] * key[i] * Foundation.exp(bt[i] - bs[i]) }
                                    score *= shape.scale
                                    let value = v + shape.value(start + source, head)
                                    for j in 0..<dv { out[j] += score * value[j] }
                                }
                            }
                            let last = cumulative + (length - 1) * dk
                            for i in 0..<dk {
                                let row = s + i * dv, alpha = Foundation.exp(last[i])
                                for j in 0..<dv { row[j] *= alpha }
                                for source in 0..<length {
                                    let weight = k[shape.key(start + source, head) + i] * Foundation.exp(last[i] - cumulative[source * dk + i])
                                    let value = v + shape.value(start + source, head)
                                    for j in 0..<dv { row[j] += weight * value[j] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: [shape.tokens, shape.heads, dv], scalars: Array(values[..<outputCount])),
                Tensor(shape: stateShape, scalars: Array(values[outputCount...])))
    }

    public func gatedLinearAttentionBackward(_ gradOutput: Tensor, q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor,
                                             chunkSize: Int) -> (q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor) {
        let shape = GLAShape(q: q, k: k, v: v, logDecay: logDecay)
        let dk = shape.keyWidth, dv = shape.valueWidth, size = shape.stateSize, count = q.count
        let chunks = (shape.tokens + chunkSize - 1) / chunkSize
        let workers = min(threadCount, shape.heads)
        // Per worker: the states at chunk starts, the states inside the current chunk, and dL/dS.
        let memory = (0..<workers).map { scratch[$0].reserve((chunks + chunkSize + 1) * size) }
        // dq, dk, dlogDecay, dv side by side; heads are disjoint, so workers never write the same value.
        let gradients = makeZeroArray(count: 3 * count + v.count) { gq in
            let (gk, gd, gv) = (gq + count, gq + 2 * count, gq + 3 * count)
            withPointers([q, k, v, logDecay, gradOutput]) { p in
                let (q, k, v, d, g) = (p[0], p[1], p[2], p[3], p[4])
                parallel(workers) { worker in
                    let boundaries = memory[worker], states = boundaries + chunks * size, gradState = states + chunkSize * size
                    for head in share(worker, of: workers, count: shape.heads) {
                        boundaries.update(repeating: 0, count: size)
                        for chunk in 1..<max(chunks, 1) {
                            (boundaries + chunk * size).update(from: boundaries + (chunk - 1) * size, count: size)
                            for t in ((chunk - 1) * chunkSize)..<(chunk * chunkSize) {
                                advance(boundaries + chunk * size, decay: d + shape.key(t, head), k: k + shape.key(t, head),
                                        v: v + shape.value(t, head), keyWidth: dk, valueWidth: dv)
                            }
                        }
                        gradState.update(repeating: 0, count: size)
                        for chunk in (0..<chunks).reversed() {
                            let start = chunk * chunkSize, length = min(chunkSize, shape.tokens - start)
                            for t in 0..<length {
                                (states + t * size).update(from: t == 0 ? boundaries + chunk * size : states + (t - 1) * size, count: size)
                                advance(states + t * size, decay: d + shape.key(start + t, head), k: k + shape.key(start + t, head),
                                        v: v + shape.value(start + t, head), keyWidth: dk, valueWidth: dv)
                            }
                            for t in (0..<length).reversed() {
                                let token = start + t, keyAt = shape.key(token, head), valueAt = shape.value(token, head)
                                let current = states + t * size, previous = t == 0 ? boundaries + chunk * size : states + (t - 1) * size
                                for i in 0..<dk {
                                    let alpha = Foundation.exp(d[keyAt + i])
                                    var gradQuery: Float = 0, gradKey: Float = 0, gradAlpha: Float = 0
                                    for j in 0..<dv {
                                        let index = i * dv + j
                                        gradState[index] += q[keyAt + i] * shape.scale * g[valueAt + j]
                                        gradQuery += g[valueAt + j] * current[index]
                                        gradKey += gradState[index] * v[valueAt + j]
                                        gv[valueAt + j] += k[keyAt + i] * gradState[index]
                                        gradAlpha += gradState[index] * previous[index]
                                        gradState[index] *= alpha
                                    }
                                    gq[keyAt + i] = gradQuery * shape.scale
                                    gk[keyAt + i] = gradKey
                                    gd[keyAt + i] = gradAlpha * alpha
                                }
                            }
                        }
                    }
                }
            }
        }
        let part = { (index: Int) in Tensor(shape: q.shape, scalars: Array(gradients[(index * count)..<((index + 1) * count)])) }
        return (part(0), part(1), Tensor(shape: v.shape, scalars: Array(gradients[(3 * count)...])), part(2))
    }
}
