import Foundation
import Tensor

extension VulkanBackend {
    public func rope(_ input: Tensor, offset: Int, inverse: Bool) -> Tensor {
        precondition(input.rank == 3, "expected [tokens, heads, features], got \(input.shape)")
        let (tokens, heads, width) = (input.shape[0], input.shape[1], input.shape[2])
        precondition(width % 2 == 0, "RoPE needs an even head width, got \(width)")
        // cos and sin per (token, pair), in double precision as the CPU backend computes them.
        var angles: [Float] = []
        angles.reserveCapacity(tokens * width)
        for token in 0..<tokens {
            for pair in 0..<(width / 2) {
                let angle = Double(offset + token) * pow(10_000, -2 * Double(pair) / Double(width)) * (inverse ? -1 : 1)
                angles += [Float(cos(angle)), Float(sin(angle))]
            }
        }
        let result = run { recorder in
            let output = try recorder.array(count: input.count)
            recorder.dispatch(.rope, constants: [UInt32(Self.workgroupSize)],
                              arrays: [try recorder.upload(input), try recorder.upload(angles), output],
                              push: [tokens, heads, width], groups: groups(count: input.count / 2))
            recorder.download(output)
        }
        return Tensor(shape: input.shape, scalars: result[0])
    }

    public func windowedAttention(q: Tensor, k: Tensor, v: Tensor, window: Int) -> Tensor {
        precondition(q.rank == 3 && k.shape == q.shape && v.shape == q.shape && window > 0,
                     "attention takes equal [T, H, D] q, k, v and a positive window")
        let (tokens, heads, width) = (q.shape[0], q.shape[1], q.shape[2])
        let result = run { recorder in
            let output = try recorder.array(count: q.count)
            recorder.dispatch(.attention, constants: [UInt32(Self.workgroupSize)],
                              arrays: [try recorder.upload(q), try recorder.upload(k), try recorder.upload(v), output],
                              push: [tokens, heads, width, window], groups: groups(count: tokens * heads))
            recorder.download(output)
        }
        return Tensor(shape: q.shape, scalars: result[0])
    }

    /// Computed token by token (the recurrent form); `chunkSize` only shapes the CPU backend's computation.
    public func gatedLinearAttention(q: Tensor, k: Tensor, v: Tensor, logDecay: Tensor, initialState: Tensor?,
                                     chunkSize: Int) -> (output: Tensor, state: Tensor) {
        precondition(q.rank == 3 && v.rank == 3, "gated linear attention takes [T, H, D] tensors")
        let (tokens, heads, keyWidth, valueWidth) = (q.shape[0], q.shape[1], q.shape[2], v.shape[2])
        precondition(k.shape == q.shape && logDecay.shape == q.shape && v.shape[0] == tokens && v.shape[1] == heads,
                     "gated linear attention shapes differ: q \(q.shape), k \(k.shape), v \(v.shape), decay \(logDecay.shape)")
        precondition(chunkSize > 0, "chunk size must be positive")
        let stateShape = [heads, keyWidth, valueWidth]
        precondition(initialState == nil || initialState!.shape == stateShape, "state must be [H, Dk, Dv]")
        let workgroup = reductionWorkgroupSize
        precondition(keyWidth > 0 && keyWidth <= workgroup, "key width \(keyWidth) must be 1…\(workgroup)")
        let columnsPerGroup = workgroup / keyWidth
        var reductionWidth = 1
        while reductionWidth < keyWidth { reductionWidth *= 2 }
        let result = run { recorder in
            let output = try recorder.array(count: tokens * heads * valueWidth)
            let state = try recorder.array(count: stateShape.reduce(1, *))
            recorder.dispatch(.gatedLinearAttention, constants: [UInt32(workgroup)],
                              arrays: [try recorder.upload(q), try recorder.upload(k), try recorder.upload(v),
                                       try recorder.upload(logDecay),
                                       try recorder.upload(initialState ?? Tensor(zeros: stateShape)), output, state],
                              push: [tokens, heads, keyWidth, valueWidth, reductionWidth],
                              groups: ((valueWidth + columnsPerGroup - 1) / columnsPerGroup, heads, 1))
            recorder.download(output)
            recorder.download(state)
        }
        return (Tensor(shape: [tokens, heads, valueWidth], scalars: result[0]), Tensor(shape: stateShape, scalars: result[1]))
    }
}
