import CPUBackend
import Foundation
import Tensor
import Testing

/// A two-level spiking U-Net in miniature: conv → group norm → spikes, pool, conv, transposed conv up,
/// skip concat, conv, 1×1 head with two classes.
private struct TinySpikingUNet {
    let p = ParameterSet()

    init(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        p.he("down.weight", shape: [3, 3, 3, 1, 8], fanIn: 27, using: &g)
        p.constant("down.bias", shape: [8], value: 0)
        p.constant("down.gamma", shape: [8], value: 1)
        p.constant("down.beta", shape: [8], value: 0)
        p.constant("down.threshold", shape: [8], value: 0.5)
        p.he("bottom.weight", shape: [3, 3, 3, 8, 16], fanIn: 216, using: &g)
        p.constant("bottom.bias", shape: [16], value: 0)
        p.constant("bottom.gamma", shape: [16], value: 1)
        p.constant("bottom.beta", shape: [16], value: 0)
        p.constant("bottom.threshold", shape: [16], value: 0.5)
        p.he("up.weight", shape: [2, 2, 2, 8, 16], fanIn: 16, using: &g)
        p.constant("up.bias", shape: [8], value: 0)
        p.he("merge.weight", shape: [3, 3, 3, 16, 8], fanIn: 432, using: &g)
        p.constant("merge.bias", shape: [8], value: 0)
        p.constant("merge.threshold", shape: [1], value: 0.5)
        p.he("head.weight", shape: [1, 1, 1, 8, 2], fanIn: 8, using: &g)
        p.constant("head.bias", shape: [2], value: 0)
    }

    func logits(_ graph: Graph, _ x: Variable) -> Variable {
        let same = ConvGeometry(size: 3, padding: 1)
        func block(_ name: String, _ input: Variable) -> Variable {
            let convolved = graph.conv3d(input, weight: p["\(name).weight"]!, bias: p["\(name).bias"]!, geometry: same)
            let normalized = graph.groupNorm(convolved, groups: 4, gamma: p["\(name).gamma"]!, beta: p["\(name).beta"]!)
            return graph.spike(normalized, threshold: p["\(name).threshold"]!, maxCount: 4)
        }
        let skip = block("down", x)
        let bottom = block("bottom", graph.maxPool3d(skip, size: 2))
        let up = graph.convTranspose3d(bottom, weight: p["up.weight"]!, bias: p["up.bias"]!, geometry: ConvGeometry(size: 2, stride: 2))
        let merged = graph.conv3d(graph.concat([skip, up], axis: 4), weight: p["merge.weight"]!, bias: p["merge.bias"]!, geometry: same)
        let spikes = graph.spike(merged, threshold: p["merge.threshold"]!, maxCount: 4)
        return graph.conv3d(spikes, weight: p["head.weight"]!, bias: p["head.bias"]!, geometry: ConvGeometry(size: 1))
    }
}

/// Noisy bright spheres on a dark background, `[batch, s, s, s, 1]`, and their masks.
private func spheres(batch: Int, size: Int, using g: inout SeededGenerator) -> (image: Tensor, labels: [Int32]) {
    var image = Tensor(zeros: [batch, size, size, size, 1])
    var labels = [Int32](repeating: 0, count: image.count)
    for b in 0..<batch {
        let center = (0..<3).map { _ in Float.random(in: 5...(Float(size) - 5), using: &g) }
        let radius = Float.random(in: 2.5...5, using: &g)
        for z in 0..<size {
            for y in 0..<size {
                for x in 0..<size {
                    let index = ((b * size + z) * size + y) * size + x
                    let dz = Float(z) - center[0], dy = Float(y) - center[1], dx = Float(x) - center[2]
                    let inside = dz * dz + dy * dy + dx * dx <= radius * radius
                    labels[index] = inside ? 1 : 0
                    image.scalars[index] = (inside ? 1 : 0) + 0.3 * g.nextNormal()
                }
            }
        }
    }
    return (image, labels)
}

@Test func smallSpikingConvNetLearnsToSegmentSpheres() {
    let backend = CPUBackend(threadCount: 2)
    let model = TinySpikingUNet(seed: 5)
    let optimizer = AdamW(parameters: model.p.variables, learningRate: 0, weightDecay: 1e-4)
    let schedule = LearningRateSchedule.warmupCosine(peak: 0.02, warmupSteps: 10, totalSteps: 200, floor: 0.002)
    var generator = SeededGenerator(seed: 17)
    let graph = Graph(backend: backend)
    for step in 0..<200 {
        let (image, labels) = spheres(batch: 2, size: 16, using: &generator)
        let logits = graph.reshape(model.logits(graph, Variable(image)), [labels.count, 2])
        let loss = graph.add(graph.crossEntropy(logits: logits, labels: labels),
                             graph.softDiceLoss(probabilities: graph.softmax(logits), labels: labels))
        graph.backward(loss)
        clipGradientNorm(model.p.variables, maxNorm: 5)
        optimizer.learningRate = schedule.rate(at: step)
        optimizer.step()
    }
    let (image, labels) = spheres(batch: 4, size: 16, using: &generator)
    let inference = Graph(backend: backend, isRecording: false)
    let predictions = backend.argmax(model.logits(inference, Variable(image)).value)
    var intersection = 0, predicted = 0, actual = 0
    for (voxel, label) in labels.enumerated() {
        let foreground = predictions[voxel] == 1
        predicted += foreground ? 1 : 0
        actual += Int(label)
        intersection += foreground && label == 1 ? 1 : 0
    }
    let dice = 2 * Double(intersection) / Double(predicted + actual)
    #expect(dice > 0.95, "foreground Dice \(dice)")
}

/// Two blocks of the language model's hybrid stack: gated linear attention with adaptive spikes on the
/// projection inputs, then sliding-window softmax attention with RoPE; SwiGLU feed-forward after each.
private struct TinyHybridLM {
    let p = ParameterSet()
    let width = 32, heads = 2, vocabulary = 128, hidden = 64

    init(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let scale = 1 / Float(width).squareRoot()
        p.normal("embedding", shape: [vocabulary, width], standardDeviation: 0.5, using: &g)
        for layer in ["gla", "swa"] {
            p.constant("\(layer).norm", shape: [width], value: 1)
            for projection in ["q", "k", "v", "o"] {
                p.normal("\(layer).\(projection)", shape: [width, width], standardDeviation: scale, using: &g)
            }
            p.constant("\(layer).ffnNorm", shape: [width], value: 1)
            p.normal("\(layer).gate", shape: [width, hidden], standardDeviation: scale, using: &g)
            p.normal("\(layer).up", shape: [width, hidden], standardDeviation: scale, using: &g)
            p.normal("\(layer).down", shape: [hidden, width], standardDeviation: 1 / Float(hidden).squareRoot(), using: &g)
        }
        p.normal("gla.decay", shape: [width, width], standardDeviation: scale, using: &g)
        p.constant("gla.headNorm", shape: [width / heads], value: 1)
        p.constant("final.norm", shape: [width], value: 1)
        p.normal("final.out", shape: [width, vocabulary], standardDeviation: scale, using: &g)
    }

    func logits(_ graph: Graph, ids: [Int32]) -> Variable {
        let tokens = ids.count, headWidth = width / heads
        func perHead(_ x: Variable) -> Variable { graph.reshape(x, [tokens, heads, headWidth]) }
        func feedForward(_ layer: String, _ x: Variable) -> Variable {
            let h = graph.rmsNorm(x, gamma: p["\(layer).ffnNorm"]!)
            return graph.add(x, graph.swiGLU(h, gate: p["\(layer).gate"]!, up: p["\(layer).up"]!, down: p["\(layer).down"]!))
        }
        var x = graph.embedding(p["embedding"]!, ids: ids)

        let h = graph.adaptiveSpike(graph.rmsNorm(x, gamma: p["gla.norm"]!))
        let q = perHead(graph.relu(graph.matmul(h, p["gla.q"]!)))
        let k = perHead(graph.relu(graph.matmul(h, p["gla.k"]!)))
        let v = perHead(graph.matmul(h, p["gla.v"]!))
        let decay = perHead(graph.unary(.scale(1.0 / 16), graph.unary(.logSigmoid, graph.matmul(h, p["gla.decay"]!))))
        let mixed = graph.gatedLinearAttention(q: q, k: k, v: v, logDecay: decay, chunkSize: 8)
        let normalized = graph.reshape(graph.rmsNorm(graph.reshape(mixed, [tokens * heads, headWidth]), gamma: p["gla.headNorm"]!),
                                       [tokens, width])
        x = feedForward("gla", graph.add(x, graph.matmul(normalized, p["gla.o"]!)))

        let s = graph.rmsNorm(x, gamma: p["swa.norm"]!)
        let attended = graph.windowedAttention(q: graph.rope(perHead(graph.matmul(s, p["swa.q"]!))),
                                               k: graph.rope(perHead(graph.matmul(s, p["swa.k"]!))),
                                               v: perHead(graph.matmul(s, p["swa.v"]!)), window: 16)
        x = feedForward("swa", graph.add(x, graph.matmul(graph.reshape(attended, [tokens, width]), p["swa.o"]!)))
        return graph.matmul(graph.rmsNorm(x, gamma: p["final.norm"]!), p["final.out"]!)
    }
}

@Test func tinyHybridLanguageModelOverfitsASentence() {
    let backend = CPUBackend(threadCount: 1)
    let model = TinyHybridLM(seed: 9)
    let bytes = Array("the spiking network segments every structure of the brain.".utf8).map { Int32($0) }
    let inputs = Array(bytes.dropLast()), targets = Array(bytes.dropFirst())
    let optimizer = AdamW(parameters: model.p.variables, learningRate: 0, weightDecay: 0)
    let schedule = LearningRateSchedule.warmupCosine(peak: 0.01, warmupSteps: 10, totalSteps: 250, floor: 0.001)
    let graph = Graph(backend: backend)
    var loss: Float = .infinity
    for step in 0..<250 {
        let lossVariable = graph.crossEntropy(logits: model.logits(graph, ids: inputs), labels: targets)
        loss = lossVariable.value.scalar
        graph.backward(lossVariable)
        clipGradientNorm(model.p.variables, maxNorm: 1)
        optimizer.learningRate = schedule.rate(at: step)
        optimizer.step()
    }
    #expect(loss < 0.05, "final training loss \(loss)")
}
