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
        precondition(initialState == nil || initialState!.shape == [shape.heads, shape.keyWidth, shape.valueWidth],
                     "state must be [H, Dk, Dv]")
        var state = initialState ?? Tensor(zeros: [shape.heads, shape.keyWidth, shape.valueWidth])
        let dk = shape.keyWidth, dv = shape.valueWidth
        let cumulative = scratch[0].reserve(chunkSize * dk)
        let output = makeZeroArray(count: shape.tokens * shape.heads * dv) { o in
            q.scalars.withUnsafeBufferPointer { pq in
            k.scalars.withUnsafeBufferPointer { pk in
            v.scalars.withUnsafeBufferPointer { pv in
            logDecay.scalars.withUnsafeBufferPointer { pd in
            state.scalars.withUnsafeMutableBufferPointer { ps in
                for head in 0..<shape.heads {
                    let s = ps.baseAddress! + head * shape.stateSize
                    for start in stride(from: 0, to: shape.tokens, by: chunkSize) {
                        let length = min(chunkSize, shape.tokens - start)
                        // b_t = Σ_{u ≤ t} log α_u within the chunk; α products become exp(b_t − b_s).
                        for t in 0..<length {
                            for i in 0..<dk {
                                cumulative[t * dk + i] = pd[shape.key(start + t, head) + i] + (t > 0 ? cumulative[(t - 1) * dk + i] : 0)
                            }
                        }
                        for t in 0..<length {
                            let query = pq.baseAddress! + shape.key(start + t, head), out = o + shape.value(start + t, head)
                            let bt = cumulative + t * dk
                            for i in 0..<dk {
                                let weight = query[i] * shape.scale * Foundation.exp(bt[i])
                                for j in 0..<dv { out[j] += weight * s[i * dv + j] }
                            }
                            for source in 0...t {
                                let key = pk.baseAddress! + shape.key(start + source, head), bs = cumulative + source * dk
                                var score: Float = 0
                                for i in 0..<dk { score += query[i] * key[i] * Foundation.exp(bt[i] - bs[i]) }
                                score *= shape.scale
                                let value = pv.baseAddress! + shape.value(start + source, head)
                                for j in 0..<dv { out[j] += score * value[j] }
                            }
                        }
                        let last = cumulative + (length - 1) * dk
                        for i in 0..<dk {
                            let row = s + i * dv, alpha = Foundation.exp(last[i])
                            for j in 0..<dv { row[j] *= alpha }
                            for source in 0..<length {
                                let weight = pk[shape.key(start + source, head) + i] * Foundation.exp(last[i] - cumulative[source * dk + i])
                                let value = pv.baseAddress! + shape.value(start + source, head)
                                for j in 0..<dv { row[j] += weight * value[j] }
                            }
                        }
                    }
                }
            }
            }
            }
            }
            }
        }
        return (Tensor(shape: [shape.tokens, shape.heads, dv], scalars: output), state)
    }

    public func gatedLinearAttentionBackward(_ gradOutput: Tensor, q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor,
                                             chunkSize: Int) -> (q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor) {
        let shape = GLAShape(q: q, k: k, v: v, logDecay: logDecay)
        let dk = shape.keyWidth, dv = shape.valueWidth, size = shape.stateSize
        let chunks = (shape.tokens + chunkSize - 1) / chunkSize
        // Per head: the states at chunk starts, the states inside the current chunk, and dL/dS.
        let memory = scratch[0].reserve((chunks + chunkSize + 1) * size)
        let boundaries = memory, states = memory + chunks * size, gradState = states + chunkSize * size
        var gq = [Float](repeating: 0, count: q.count), gk = gq, gd = gq
        var gv = [Float](repeating: 0, count: v.count)
        q.scalars.withUnsafeBufferPointer { pq in
        k.scalars.withUnsafeBufferPointer { pk in
        v.scalars.withUnsafeBufferPointer { pv in
        logDecay.scalars.withUnsafeBufferPointer { pd in
        gradOutput.scalars.withUnsafeBufferPointer { pg in
            let (q, k, v, d, g) = (pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, pd.baseAddress!, pg.baseAddress!)
            for head in 0..<shape.heads {
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
        }
        }
        return (Tensor(shape: q.shape, scalars: gq), Tensor(shape: k.shape, scalars: gk), Tensor(shape: v.shape, scalars: gv),
                Tensor(shape: logDecay.shape, scalars: gd))
    }
}
