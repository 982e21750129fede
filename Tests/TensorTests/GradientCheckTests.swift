import CPUBackend
import Tensor
import Testing

/// An op (or a small composition) whose gradients are checked against central finite differences.
struct GradientCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// Shapes of the differentiated inputs.
    let inputs: [[Int]]
    /// Keeps inputs at least 0.1 away from zero, where ReLU-like ops have their kink.
    var awayFromZero = false
    /// Replaces inputs by distinct values 0.1 apart, so that no maximum is within a step of a tie.
    var distinct = false
    let build: @Sendable (Graph, [Variable]) -> Variable

    var testDescription: String { name }
}

private let labels: [Int32] = [0, 2, 1, 1, 0, 2, 2, 1, 0, 1, 2, 0]

private func conv(_ size: Int, _ stride: Int, _ padding: Int) -> ConvGeometry {
    ConvGeometry(size: size, stride: stride, padding: padding)
}

let gradientCases: [GradientCase] = [
    GradientCase(name: "matmul", inputs: [[3, 4], [4, 5]]) { g, v in g.matmul(v[0], v[1]) },
    GradientCase(name: "matmul transposed A", inputs: [[4, 3], [4, 5]]) { g, v in g.matmul(v[0], v[1], transposeA: true) },
    GradientCase(name: "matmul transposed B", inputs: [[3, 4], [5, 4]]) { g, v in g.matmul(v[0], v[1], transposeB: true) },
    GradientCase(name: "linear with bias", inputs: [[3, 4], [4, 2], [2]]) { g, v in g.linear(v[0], weight: v[1], bias: v[2]) },
    GradientCase(name: "conv3d k3 s1 p1", inputs: [[1, 4, 3, 5, 2], [3, 3, 3, 2, 3], [3]]) { g, v in
        g.conv3d(v[0], weight: v[1], bias: v[2], geometry: conv(3, 1, 1))
    },
    GradientCase(name: "conv3d direct kernels 16→16 k3 s1 p1 batch 2", inputs: [[2, 3, 4, 9, 16], [3, 3, 3, 16, 16], [16]]) { g, v in
        g.conv3d(v[0], weight: v[1], bias: v[2], geometry: conv(3, 1, 1))
    },
    GradientCase(name: "conv3d k3 s2 p1 batch 2", inputs: [[2, 5, 4, 3, 2], [3, 3, 3, 2, 2], [2]]) { g, v in
        g.conv3d(v[0], weight: v[1], bias: v[2], geometry: conv(3, 2, 1))
    },
    GradientCase(name: "conv3d k2 s2 p0", inputs: [[1, 4, 4, 2, 3], [2, 2, 2, 3, 2], [2]]) { g, v in
        g.conv3d(v[0], weight: v[1], bias: v[2], geometry: conv(2, 2, 0))
    },
    GradientCase(name: "convTranspose3d k2 s2", inputs: [[1, 2, 3, 2, 3], [2, 2, 2, 2, 3], [2]]) { g, v in
        g.convTranspose3d(v[0], weight: v[1], bias: v[2], geometry: conv(2, 2, 0))
    },
    GradientCase(name: "convTranspose3d k3 s2 p1", inputs: [[1, 2, 2, 3, 2], [3, 3, 3, 3, 2], [3]]) { g, v in
        g.convTranspose3d(v[0], weight: v[1], bias: v[2], geometry: conv(3, 2, 1))
    },
    GradientCase(name: "maxPool3d", inputs: [[1, 4, 2, 4, 3]], distinct: true) { g, v in g.maxPool3d(v[0], size: 2) },
    GradientCase(name: "avgPool3d", inputs: [[2, 2, 4, 2, 3]]) { g, v in g.avgPool3d(v[0], size: 2) },
    GradientCase(name: "groupNorm", inputs: [[2, 3, 2, 2, 4], [4], [4]]) { g, v in
        g.groupNorm(v[0], groups: 2, gamma: v[1], beta: v[2])
    },
    GradientCase(name: "relu", inputs: [[3, 7]], awayFromZero: true) { g, v in g.relu(v[0]) },
    GradientCase(name: "clipped ReLU", inputs: [[3, 7]], awayFromZero: true) { g, v in g.clippedReLU(v[0], ceiling: 0.8) },
    GradientCase(name: "silu", inputs: [[3, 7]]) { g, v in g.silu(v[0]) },
    GradientCase(name: "sigmoid, logSigmoid, exp", inputs: [[3, 7]]) { g, v in
        g.add(g.unary(.sigmoid, v[0]), g.add(g.unary(.logSigmoid, v[0]), g.unary(.exp, v[0])))
    },
    GradientCase(name: "square and scale", inputs: [[3, 7]]) { g, v in g.unary(.scale(0.5), g.unary(.square, v[0])) },
    GradientCase(name: "add broadcast", inputs: [[2, 3, 4], [4]]) { g, v in g.add(v[0], v[1]) },
    GradientCase(name: "subtract broadcast", inputs: [[2, 3, 4], [3, 4]]) { g, v in g.subtract(v[0], v[1]) },
    GradientCase(name: "multiply broadcast", inputs: [[2, 3, 4], [4]]) { g, v in g.multiply(v[0], v[1]) },
    GradientCase(name: "multiply by one value", inputs: [[2, 3], [1]]) { g, v in g.multiply(v[0], v[1]) },
    GradientCase(name: "softmax", inputs: [[4, 5]]) { g, v in g.softmax(v[0]) },
    GradientCase(name: "concat channels", inputs: [[1, 2, 2, 2, 2], [1, 2, 2, 2, 3]]) { g, v in g.concat(v, axis: 4) },
    GradientCase(name: "slice middle axis", inputs: [[3, 5, 2]]) { g, v in g.slice(v[0], axis: 1, range: 1..<4) },
    GradientCase(name: "reshape, sum, mean", inputs: [[2, 6]]) { g, v in
        g.add(g.sum(g.reshape(v[0], [3, 4])), g.mean(v[0]))
    },
    GradientCase(name: "cross-entropy", inputs: [[12, 3]]) { g, v in g.crossEntropy(logits: v[0], labels: labels) },
    GradientCase(name: "soft Dice of softmax", inputs: [[12, 3]]) { g, v in
        g.softDiceLoss(probabilities: g.softmax(v[0]), labels: labels)
    },
    GradientCase(name: "embedding", inputs: [[5, 3]]) { g, v in g.embedding(v[0], ids: [4, 0, 4, 2]) },
    GradientCase(name: "RMSNorm", inputs: [[3, 6], [6]]) { g, v in g.rmsNorm(v[0], gamma: v[1]) },
    GradientCase(name: "SwiGLU", inputs: [[3, 4], [4, 6], [4, 6], [6, 4]]) { g, v in
        g.swiGLU(v[0], gate: v[1], up: v[2], down: v[3])
    },
    GradientCase(name: "RoPE", inputs: [[5, 2, 4]]) { g, v in g.rope(v[0], offset: 2) },
    GradientCase(name: "windowed attention", inputs: [[6, 2, 4], [6, 2, 4], [6, 2, 4]]) { g, v in
        g.windowedAttention(q: v[0], k: v[1], v: v[2], window: 3)
    },
    GradientCase(name: "gated linear attention, chunks of 3", inputs: [[7, 2, 3], [7, 2, 3], [7, 2, 2], [7, 2, 3]]) { g, v in
        let logDecay = g.unary(.scale(1.0 / 16), g.unary(.logSigmoid, v[3]))
        return g.gatedLinearAttention(q: v[0], k: v[1], v: v[2], logDecay: logDecay, chunkSize: 3)
    },
]

/// dL/dx by central differences of `L = Σ f(x) ⊙ R` at a sample of coordinates, against the tape's gradient.
@Test(arguments: gradientCases)
func backwardMatchesFiniteDifferences(_ testCase: GradientCase) {
    let backend = CPUBackend(threadCount: 2)
    var generator = SeededGenerator(seed: 42)
    let values = testCase.inputs.map { shape -> Tensor in
        var tensor = Tensor.randomNormal(shape: shape, using: &generator)
        if testCase.awayFromZero {
            for index in tensor.scalars.indices {
                let x = tensor.scalars[index]
                tensor.scalars[index] = x < 0 ? x - 0.1 : x + 0.1
            }
        }
        if testCase.distinct {
            for index in tensor.scalars.indices { tensor.scalars[index] = Float((index * 7919) % tensor.count) * 0.1 }
        }
        return tensor
    }

    let graph = Graph(backend: backend)
    let variables = values.map { Variable($0, requiresGradient: true) }
    let output = testCase.build(graph, variables)
    let weights = Variable(Tensor.randomNormal(shape: output.shape, using: &generator))
    graph.backward(graph.sum(graph.multiply(output, weights)))

    func objective(_ inputs: [Tensor]) -> Double {
        let forward = Graph(backend: backend, isRecording: false)
        let result = testCase.build(forward, inputs.map { Variable($0) }).value
        return zip(result.scalars, weights.value.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    let step: Float = 1e-2
    for (index, value) in values.enumerated() {
        guard let analytic = variables[index].grad else {
            Issue.record("\(testCase.name): input \(index) got no gradient")
            continue
        }
        let stride = max(1, value.count / 24)
        for coordinate in Swift.stride(from: 0, to: value.count, by: stride) {
            var plus = values, minus = values
            plus[index].scalars[coordinate] += step
            minus[index].scalars[coordinate] -= step
            let numeric = (objective(plus) - objective(minus)) / Double(2 * step)
            let got = Double(analytic.scalars[coordinate])
            #expect(abs(got - numeric) <= 5e-3 + 2e-2 * abs(numeric),
                    "\(testCase.name): input \(index)[\(coordinate)] analytic \(got) vs numeric \(numeric)")
        }
    }
}

@Test func spikeGradientIsStraightThroughInsideTheClampRange() {
    let backend = CPUBackend(threadCount: 1)
    let graph = Graph(backend: backend)
    let x = Variable(Tensor(shape: [1, 4], scalars: [-0.3, 0.7, 1.2, 5.0]), requiresGradient: true)
    let threshold = Variable(Tensor(shape: [1], scalars: [0.5]), requiresGradient: true)
    let y = graph.spike(x, threshold: threshold, maxCount: 4)
    #expect(y.value.scalars == [0, 0.5, 1.0, 2.0])
    graph.backward(graph.sum(y))
    #expect(x.grad?.scalars == [0, 1, 1, 0])
    // u = x/θ: −0.6 (below: 0), 1.4 (round 1 − 1.4), 2.4 (2 − 2.4), 10 (above: maxCount).
    #expect(abs((threshold.grad?.scalar ?? 0) - (-0.4 - 0.4 + 4)) < 1e-5)
}

@Test func adaptiveSpikeUsesMeanAbsoluteThresholdPerToken() {
    let backend = CPUBackend(threadCount: 1)
    let graph = Graph(backend: backend)
    let x = Variable(Tensor(shape: [2, 3], scalars: [3, -3, 0, 1, 1, 1]), requiresGradient: true)
    let y = graph.adaptiveSpike(x, k: 2, maxCount: 2)
    // Token 0: θ = 2/2 = 1 → counts 3→2 (clamped), −3→−2, 0; token 1: θ = 0.5 → counts 2, 2, 2.
    #expect(y.value.scalars == [2, -2, 0, 1, 1, 1])
    graph.backward(graph.sum(y))
    #expect(x.grad?.scalars == [0, 0, 1, 1, 1, 1])
}

@Test func gatedLinearAttentionChunkedEqualsRecurrentSteps() {
    let backend = CPUBackend(threadCount: 1)
    var generator = SeededGenerator(seed: 3)
    let (tokens, heads, keyWidth, valueWidth) = (10, 2, 4, 3)
    let q = Tensor.randomUniform(shape: [tokens, heads, keyWidth], in: 0...1, using: &generator)
    let k = Tensor.randomUniform(shape: [tokens, heads, keyWidth], in: 0...1, using: &generator)
    let v = Tensor.randomNormal(shape: [tokens, heads, valueWidth], using: &generator)
    let decay = Tensor.randomUniform(shape: [tokens, heads, keyWidth], in: -0.5...0, using: &generator)
    let chunked = backend.gatedLinearAttention(q: q, k: k, v: v, logDecay: decay, initialState: nil, chunkSize: 4)
    var state: Tensor?
    var stepped: [Float] = []
    for token in 0..<tokens {
        let one = { (t: Tensor) in backend.slice(t, axis: 0, range: token..<(token + 1)) }
        let step = backend.gatedLinearAttention(q: one(q), k: one(k), v: one(v), logDecay: one(decay),
                                                initialState: state, chunkSize: 1)
        stepped += step.output.scalars
        state = step.state
    }
    #expect(chunked.output.maxAbsDifference(Tensor(shape: chunked.output.shape, scalars: stepped)) < 1e-5)
    #expect(chunked.state.maxAbsDifference(state!) < 1e-5)
}

@Test func spikeCountsRoundHalfToEvenLikeNumPy() {
    let backend = CPUBackend(threadCount: 1)
    let x = Tensor(shape: [7], scalars: [0.5, 1.5, 2.5, 3.5, 2.4999, -0.5, 7])
    #expect(backend.spikeCounts(x, threshold: Tensor(scalar: 1).reshaped([1]), maxCount: 5).scalars == [0, 2, 2, 4, 2, 0, 5])
    let signed = backend.adaptiveSpikeCounts(Tensor(shape: [1, 2], scalars: [-2.5, 2.5]), k: 2.5, maxCount: 8)
    #expect(signed.counts.scalars == [-2, 2])
}

@Test func argmaxPicksTheFirstLargestClassPerRow() {
    let backend = CPUBackend(threadCount: 2)
    let scores = Tensor(shape: [1, 1, 1, 3, 3], scalars: [0.1, 0.7, 0.2, 5, 5, -1, -3, -2, -1])
    #expect(backend.argmax(scores) == [1, 0, 2])
}
