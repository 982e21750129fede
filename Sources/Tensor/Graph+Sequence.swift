/// Differentiable ops for the language model; sequences are `[tokens, features]`, per-head views `[T, H, Dh]`.
extension Graph {
    /// Rows of `table` `[vocabulary, features]` for `ids`.
    public func embedding(_ table: Variable, ids: [Int32]) -> Variable {
        let value = backend.embedding(table.value, ids: ids)
        return result(value, of: [table]) { [self] g in
            table.accumulate(trainer.embeddingBackward(g, ids: ids, vocabulary: table.shape[0]))
        }
    }

    public func rmsNorm(_ x: Variable, gamma: Variable, epsilon: Float = 1e-6) -> Variable {
        let value = backend.rmsNorm(x.value, gamma: gamma.value, epsilon: epsilon)
        return result(value, of: [x, gamma]) { [self] g in
            let gradients = trainer.rmsNormBackward(g, input: x.value, gamma: gamma.value, epsilon: epsilon)
            send(gradients.input, to: x)
            send(gradients.gamma, to: gamma)
        }
    }

    /// SwiGLU feed-forward: `(silu(x·gate) ⊙ (x·up)) · down`.
    public func swiGLU(_ x: Variable, gate: Variable, up: Variable, down: Variable) -> Variable {
        matmul(multiply(silu(matmul(x, gate)), matmul(x, up)), down)
    }

    /// Rotary position embedding of `[T, H, Dh]` for positions `offset…`.
    public func rope(_ x: Variable, offset: Int = 0) -> Variable {
        let value = backend.rope(x.value, offset: offset, inverse: false)
        return result(value, of: [x]) { [self] g in
            x.accumulate(backend.rope(g, offset: offset, inverse: true))
        }
    }

    /// Causal softmax attention over the last `window` tokens; q, k, v `[T, H, Dh]`.
    public func windowedAttention(q: Variable, k: Variable, v: Variable, window: Int) -> Variable {
        let value = backend.windowedAttention(q: q.value, k: k.value, v: v.value, window: window)
        return result(value, of: [q, k, v]) { [self] g in
            let gradients = trainer.windowedAttentionBackward(g, q: q.value, k: k.value, v: v.value, window: window)
            send(gradients.q, to: q)
            send(gradients.k, to: k)
            send(gradients.v, to: v)
        }
    }

    /// Gated linear attention from a zero state, chunk by chunk (see `Backend.gatedLinearAttention`).
    public func gatedLinearAttention(q: Variable, k: Variable, v: Variable, logDecay: Variable, chunkSize: Int = 16) -> Variable {
        let value = backend.gatedLinearAttention(q: q.value, k: k.value, v: v.value, logDecay: logDecay.value,
                                                 initialState: nil, chunkSize: chunkSize).output
        return result(value, of: [q, k, v, logDecay]) { [self] g in
            let gradients = trainer.gatedLinearAttentionBackward(g, q: q.value, k: k.value, v: v.value,
                                                                 logDecay: logDecay.value, chunkSize: chunkSize)
            send(gradients.q, to: q)
            send(gradients.k, to: k)
            send(gradients.v, to: v)
            send(gradients.logDecay, to: logDecay)
        }
    }
}
