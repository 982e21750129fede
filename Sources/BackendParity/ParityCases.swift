import Tensor

/// Every op of `Backend` (and the label argmax) on small shapes, several geometries each.
public enum ParityCases {
    public static let all: [ParityCase] = {
        var g = SeededGenerator(seed: 42)
        func normal(_ shape: [Int], _ deviation: Float = 1) -> Tensor {
            Tensor.randomNormal(shape: shape, standardDeviation: deviation, using: &g)
        }
        var cases: [ParityCase] = []

        for (a, b, ta, tb) in [([13, 17], [17, 11], false, false), ([17, 13], [17, 11], true, false),
                               ([13, 17], [11, 17], false, true), ([17, 13], [11, 17], true, true),
                               ([1, 40], [40, 70], false, false)] {
            let (x, y) = (normal(a), normal(b))
            cases.append(ParityCase("matmul \(a)\(ta ? "ᵀ" : "")·\(b)\(tb ? "ᵀ" : "")") {
                [$0.matmul(x, y, transposeA: ta, transposeB: tb)]
            })
        }

        let convolutions: [(input: [Int], cout: Int, geometry: ConvGeometry, bias: Bool)] = [
            ([1, 6, 5, 7, 3], 8, ConvGeometry(size: 3, padding: 1), true),
            ([2, 7, 6, 5, 4], 5, ConvGeometry(size: 3, stride: 2, padding: 1), false),
            ([1, 4, 4, 4, 16], 8, ConvGeometry(size: 1), true),
            ([1, 6, 6, 6, 4], 20, ConvGeometry(size: 2, stride: 2), true),
        ]
        for (shape, cout, geometry, hasBias) in convolutions {
            let k = geometry.size
            let x = normal(shape), w = normal([k, k, k, shape[4], cout], 0.3), bias = hasBias ? normal([cout]) : nil
            cases.append(ParityCase("conv3d \(shape)→\(cout) k\(k) s\(geometry.stride) p\(geometry.padding)") {
                [$0.conv3d(x, weight: w, bias: bias, geometry: geometry)]
            })
            let wt = normal([k, k, k, cout, shape[4]], 0.3)
            cases.append(ParityCase("convTranspose3d \(shape)→\(cout) k\(k) s\(geometry.stride) p\(geometry.padding)") {
                [$0.convTranspose3d(x, weight: wt, bias: bias, geometry: geometry)]
            })
        }

        let volume = normal([2, 4, 6, 4, 3])
        cases.append(ParityCase("maxPool3d 2") { [$0.maxPool3d(volume, size: 2)] })
        cases.append(ParityCase("avgPool3d 2") { [$0.avgPool3d(volume, size: 2)] })

        for (shape, groups) in [([2, 4, 4, 4, 8], 4), ([1, 5, 6], 2), ([1, 3, 3, 3, 6], 1)] {
            let x = normal(shape, 2), gamma = normal([shape.last!]), beta = normal([shape.last!])
            cases.append(ParityCase("groupNorm \(shape) groups \(groups)") {
                [$0.groupNorm(x, groups: groups, gamma: gamma, beta: beta, epsilon: 1e-5)]
            })
        }
        let rows = normal([7, 24]), rowGamma = normal([24])
        cases.append(ParityCase("rmsNorm [7, 24]") { [$0.rmsNorm(rows, gamma: rowGamma, epsilon: 1e-6)] })

        let pointwise = normal([3, 5, 7], 3)
        let unaries: [UnaryOp] = [.relu, .clippedReLU(1.5), .silu, .sigmoid, .logSigmoid, .exp, .negate, .scale(-0.7), .square]
        for op in unaries {
            cases.append(ParityCase("unary \(op)") { [$0.unary(op, pointwise)] })
        }
        let channelVector = normal([7]), one = normal([1]), same = normal([3, 5, 7])
        for (op, operand) in [(BinaryOp.add, channelVector), (.subtract, one), (.multiply, same), (.multiply, channelVector)] {
            cases.append(ParityCase("binary \(op) \(operand.shape)") { [$0.binary(op, pointwise, operand)] })
        }

        let scores = normal([10, 7], 3), classScores = normal([1, 4, 4, 4, 5])
        cases.append(ParityCase("softmax [10, 7]") { [$0.softmax(scores)] })
        cases.append(ParityCase("softmax [1, 4, 4, 4, 5]") { [$0.softmax(classScores)] })
        cases.append(ParityCase("argmax labels [1, 4, 4, 4, 5]", exact: true) {
            [Tensor(shape: [64], scalars: labels(classScores, on: $0).map(Float.init))]
        })

        let activations = normal([2, 3, 4, 5, 6], 2)
        let channelThresholds = Tensor.randomUniform(shape: [6], in: 0.2...0.8, using: &g)
        cases.append(ParityCase("spikeCounts per channel", exact: true) {
            [$0.spikeCounts(activations, threshold: channelThresholds, maxCount: 4)]
        })
        cases.append(ParityCase("spikeCounts per layer", exact: true) {
            [$0.spikeCounts(activations, threshold: Tensor(shape: [1], scalars: [0.3]), maxCount: 8)]
        })
        let tokens = normal([9, 32])
        cases.append(ParityCase("adaptiveSpikeCounts [9, 32]", exact: true) {
            let result = $0.adaptiveSpikeCounts(tokens, k: 3, maxCount: 8)
            return [result.counts, result.thresholds]
        })

        let left = normal([1, 3, 3, 3, 2]), right = normal([1, 3, 3, 3, 5]), more = normal([2, 3, 3, 3, 2])
        cases.append(ParityCase("concat channels") { [$0.concat([left, right], axis: 4)] })
        cases.append(ParityCase("concat batch") { [$0.concat([left, more], axis: 0)] })
        cases.append(ParityCase("slice channels 1..<4") { [$0.slice(right, axis: 4, range: 1..<4)] })
        cases.append(ParityCase("slice depth 1..<3") { [$0.slice(more, axis: 1, range: 1..<3)] })

        let table = normal([20, 12]), ids: [Int32] = [3, 0, 19, 3, 7]
        cases.append(ParityCase("embedding") { [$0.embedding(table, ids: ids)] })

        let heads = normal([6, 2, 8])
        cases.append(ParityCase("rope offset 5") { [$0.rope(heads, offset: 5, inverse: false)] })
        cases.append(ParityCase("rope inverse offset 300") { [$0.rope(heads, offset: 300, inverse: true)] })

        let (q, k, v) = (normal([9, 2, 8]), normal([9, 2, 8]), normal([9, 2, 8]))
        for window in [1, 4, 16] {
            cases.append(ParityCase("windowedAttention window \(window)") { [$0.windowedAttention(q: q, k: k, v: v, window: window)] })
        }

        let glaQ = normal([10, 2, 4]).reluLike(), glaK = normal([10, 2, 4]).reluLike(), glaV = normal([10, 2, 6])
        let decay = Tensor.randomUniform(shape: [10, 2, 4], in: -0.5...0, using: &g), state = normal([2, 4, 6])
        for (initial, chunk) in [(nil, 4), (state, 3)] as [(Tensor?, Int)] {
            cases.append(ParityCase("gatedLinearAttention chunk \(chunk)\(initial == nil ? "" : " from a state")") {
                let result = $0.gatedLinearAttention(q: glaQ, k: glaK, v: glaV, logDecay: decay, initialState: initial, chunkSize: chunk)
                return [result.output, result.state]
            })
        }
        let step = (normal([1, 3, 5]).reluLike(), normal([1, 3, 5]).reluLike(), normal([1, 3, 7]))
        let stepDecay = Tensor.randomUniform(shape: [1, 3, 5], in: -0.5...0, using: &g), stepState = normal([3, 5, 7])
        cases.append(ParityCase("gatedLinearAttention decode step") {
            let result = $0.gatedLinearAttention(q: step.0, k: step.1, v: step.2, logDecay: stepDecay,
                                                 initialState: stepState, chunkSize: 1)
            return [result.output, result.state]
        })
        return cases
    }()
}

private extension Tensor {
    /// max(x, 0): GLA's queries and keys are ReLU outputs.
    func reluLike() -> Tensor { Tensor(shape: shape, scalars: scalars.map { max($0, 0) }) }
}
