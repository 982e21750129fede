import CPUBackend
import Foundation
import Tensor
import Testing

private func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
}

@Test func safetensorsRoundTripKeepsNamesShapesValuesAndMetadata() throws {
    var generator = SeededGenerator(seed: 1)
    let tensors = ["conv.weight": Tensor.randomNormal(shape: [3, 3, 3, 2, 4], using: &generator),
                   "conv.bias": Tensor(shape: [4], scalars: [1, -2, 0.5, .pi]),
                   "scalar": Tensor(scalar: 7)]
    let url = temporaryFile("roundtrip.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Safetensors.write(tensors, metadata: ["format": "pt", "step": "12"], to: url)
    let data = try Data(contentsOf: url)
    let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect((8 + headerLength) % 8 == 0, "data starts 8-byte aligned")
    let (read, metadata) = try Safetensors.read(from: url)
    #expect(read == tensors)
    #expect(metadata == ["format": "pt", "step": "12"])
}

@Test func safetensorsReadsHalfPrecisionAndBFloat16() throws {
    let header = #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}"#
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(Data(header.utf8))
    data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC0])   // F16 1.0, −2.0
    data.append(contentsOf: [0x40, 0x40])               // BF16 3.0
    let url = temporaryFile("half.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try data.write(to: url)
    let (read, _) = try Safetensors.read(from: url)
    #expect(read["a"]?.scalars == [1, -2])
    #expect(read["b"]?.scalars == [3])
}

@Test func safetensorsRejectsATruncatedFileNamingIt() throws {
    let url = temporaryFile("truncated.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Safetensors.write(["w": Tensor(zeros: [64])], to: url)
    let data = try Data(contentsOf: url)
    try data.prefix(data.count - 16).write(to: url)
    #expect {
        _ = try Safetensors.read(from: url)
    } throws: { error in
        String(describing: error).contains(url.path) && String(describing: error).contains("byte range")
    }
}

@Test func parameterSetLoadsACheckpointAndRejectsAWrongShape() throws {
    var generator = SeededGenerator(seed: 2)
    let saved = ParameterSet()
    saved.he("w", shape: [4, 3], fanIn: 4, using: &generator)
    saved.constant("b", shape: [3], value: 0.25)
    let url = temporaryFile("params.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Safetensors.write(saved.tensors, to: url)

    let restored = ParameterSet()
    restored.constant("w", shape: [4, 3], value: 0)
    restored.constant("b", shape: [3], value: 0)
    try restored.load(try Safetensors.read(from: url).tensors)
    #expect(restored["w"]?.value == saved["w"]?.value)

    let mismatched = ParameterSet()
    mismatched.constant("w", shape: [3, 4], value: 0)
    #expect(throws: ParameterError.self) { try mismatched.load(saved.tensors) }
}

@Test func adamWMinimisesAQuadraticAndDecaysOnlyMatrices() {
    let matrix = Variable(Tensor(repeating: 3, shape: [2, 2]), requiresGradient: true)
    let vector = Variable(Tensor(repeating: 3, shape: [2]), requiresGradient: true)
    let optimizer = AdamW(parameters: [matrix, vector], learningRate: 0.1, weightDecay: 0.5)
    let graph = Graph(backend: CPUBackend(threadCount: 1))
    for _ in 0..<300 {
        let loss = graph.add(graph.sum(graph.unary(.square, vector)),
                             graph.sum(graph.unary(.square, matrix)))
        graph.backward(loss)
        optimizer.step()
    }
    #expect(matrix.value.scalars.allSatisfy { abs($0) < 0.05 })
    #expect(vector.value.scalars.allSatisfy { abs($0) < 0.05 })
    #expect(matrix.grad == nil, "step clears gradients")
}

@Test func gradientClippingScalesToTheMaximumNorm() {
    let a = Variable(Tensor(zeros: [2]), requiresGradient: true)
    let b = Variable(Tensor(zeros: [1]), requiresGradient: true)
    a.grad = Tensor(shape: [2], scalars: [3, 0])
    b.grad = Tensor(shape: [1], scalars: [4])
    let norm = clipGradientNorm([a, b], maxNorm: 1)
    #expect(norm == 5)
    #expect(a.grad?.scalars == [0.6, 0])
    #expect(b.grad?.scalars == [0.8])
}

@Test func warmupCosineScheduleRisesThenFallsToTheFloor() {
    let schedule = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 4, totalSteps: 14, floor: 0.1)
    #expect(schedule.rate(at: 0) == 0.25)
    #expect(schedule.rate(at: 3) == 1)
    #expect(abs(schedule.rate(at: 9) - 0.55) < 1e-6)
    #expect(abs(schedule.rate(at: 14) - 0.1) < 1e-6)
    #expect(LearningRateSchedule.stepDecay(initial: 1, factor: 0.5, every: 10).rate(at: 25) == 0.25)
}

@Test func seededGeneratorRepeatsItsSequence() {
    var first = SeededGenerator(seed: 99), second = SeededGenerator(seed: 99), other = SeededGenerator(seed: 100)
    let a = Tensor.randomNormal(shape: [16], using: &first)
    #expect(a == Tensor.randomNormal(shape: [16], using: &second))
    #expect(a != Tensor.randomNormal(shape: [16], using: &other))
}

@Test func foldedBatchNormMatchesConvolutionFollowedByBatchNorm() {
    let backend = CPUBackend(threadCount: 1)
    var generator = SeededGenerator(seed: 8)
    let x = Tensor.randomNormal(shape: [1, 3, 4, 5, 2], using: &generator)
    let weight = Tensor.randomNormal(shape: [3, 3, 3, 2, 3], using: &generator)
    let bias = Tensor.randomNormal(shape: [3], using: &generator)
    let mean = Tensor.randomNormal(shape: [3], using: &generator)
    let variance = Tensor.randomUniform(shape: [3], in: 0.5...2, using: &generator)
    let gamma = Tensor.randomNormal(shape: [3], using: &generator)
    let beta = Tensor.randomNormal(shape: [3], using: &generator)
    let geometry = ConvGeometry(size: 3, padding: 1)
    var expected = backend.conv3d(x, weight: weight, bias: bias, geometry: geometry)
    for index in expected.scalars.indices {
        let c = index % 3
        expected.scalars[index] = gamma.scalars[c] * (expected.scalars[index] - mean.scalars[c])
            / (variance.scalars[c] + 1e-5).squareRoot() + beta.scalars[c]
    }
    let folded = foldBatchNorm(weight: weight, bias: bias, mean: mean, variance: variance, gamma: gamma, beta: beta)
    let actual = backend.conv3d(x, weight: folded.weight, bias: folded.bias, geometry: geometry)
    #expect(actual.maxAbsDifference(expected) < 1e-4)
}

@Test func inferenceGraphRecordsNothingAndTrainingGraphClearsItsTape() {
    let backend = CPUBackend(threadCount: 1)
    let weight = Variable(Tensor(repeating: 0.5, shape: [2, 2]), requiresGradient: true)
    let x = Variable(Tensor(repeating: 1, shape: [3, 2]))
    let inference = Graph(backend: backend, isRecording: false)
    let y = inference.relu(inference.matmul(x, weight))
    #expect(inference.tapeLength == 0 && !y.requiresGradient)

    let training = Graph(backend: backend)
    let loss = training.sum(training.relu(training.matmul(x, weight)))
    #expect(training.tapeLength == 3)
    training.backward(loss)
    #expect(training.tapeLength == 0)
    #expect(weight.grad?.scalars == [3, 3, 3, 3])
    #expect(x.grad == nil, "inputs that do not ask for gradients get none")
}
