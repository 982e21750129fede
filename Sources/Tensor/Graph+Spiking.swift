/// The spiking neuron of DESIGN.md as differentiable ops.
extension Graph {
    /// `θ · clamp(round(x / θ), 0, maxCount)` over `[…, C]` with a learnable threshold `θ` (`[C]` per
    /// channel or `[1]` per layer). Gradients: straight through the rounding inside the clamp range;
    /// the learned-step-size gradient for `θ`. Divide by `θ` (or fold it into the next layer's weights)
    /// to get the integer counts the next layer receives.
    public func spike(_ x: Variable, threshold: Variable, maxCount: Float) -> Variable {
        let counts = backend.spikeCounts(x.value, threshold: threshold.value, maxCount: maxCount)
        let value = backend.binary(.multiply, counts, threshold.value)
        return result(value, of: [x, threshold]) { [self] g in
            let gradients = trainer.spikeBackward(g, input: x.value, threshold: threshold.value, maxCount: maxCount)
            send(gradients.input, to: x)
            send(gradients.threshold, to: threshold)
        }
    }

    /// SpikingBrain's signed spikes with a per-token threshold `θ = mean(|x|) / k` over the last axis:
    /// `θ · clamp(round(x / θ), −maxCount, maxCount)`. The threshold is data, not a parameter: the gradient
    /// goes straight through where the count is not clamped.
    public func adaptiveSpike(_ x: Variable, k: Float = 3, maxCount: Float = 15) -> Variable {
        let (counts, thresholds) = backend.adaptiveSpikeCounts(x.value, k: k, maxCount: maxCount)
        let width = x.shape.last ?? 1
        var value = counts
        for index in value.scalars.indices { value.scalars[index] *= thresholds.scalars[index / width] }
        return result(value, of: [x]) { g in
            var gradient = g
            for index in gradient.scalars.indices {
                let theta = thresholds.scalars[index / width]
                if theta == 0 || abs(x.value.scalars[index] / theta) > maxCount { gradient.scalars[index] = 0 }
            }
            x.accumulate(gradient)
        }
    }
}
