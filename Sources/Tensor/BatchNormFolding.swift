/// Folds an inference-time batch normalisation that follows a convolution or linear layer into that
/// layer: `γ · (W·x + b − μ) / √(σ² + ε) + β` becomes `W′·x + b′` with
/// `W′[…, o] = W[…, o] · s_o`, `b′_o = (b_o − μ_o) · s_o + β_o`, `s_o = γ_o / √(σ²_o + ε)`.
///
/// `weight` has the output channel last (`[k, k, k, Cin, Cout]` or `[in, out]`); the statistics are `[Cout]`.
public func foldBatchNorm(weight: Tensor, bias: Tensor?, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor,
                          epsilon: Float = 1e-5) -> (weight: Tensor, bias: Tensor) {
    let channels = weight.shape.last ?? 0
    for statistic in [mean, variance, gamma, beta] + (bias.map { [$0] } ?? []) {
        precondition(statistic.shape == [channels], "batch-norm statistics must be [\(channels)], got \(statistic.shape)")
    }
    let scale = (0..<channels).map { gamma.scalars[$0] / (variance.scalars[$0] + epsilon).squareRoot() }
    var folded = weight
    for index in folded.scalars.indices { folded.scalars[index] *= scale[index % channels] }
    var shift = beta
    for channel in 0..<channels {
        let centred: Float = (bias?.scalars[channel] ?? 0) - mean.scalars[channel]
        shift.scalars[channel] += centred * scale[channel]
    }
    return (folded, shift)
}
